/* sk-conflict-dialog.h: a record someone else saved while it was being
 * edited (SK_ERROR_STALE, HTTP 412). Against the version the editor
 * opened (the base), a field only one side changed keeps that side's
 * value; where both changed it, the user keeps theirs, takes the other, or
 * chooses field by field.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-record.h"
#include "sk-repository.h"

G_BEGIN_DECLS

typedef enum
{
  SK_CONFLICT_CANCEL,      /* nothing decided: the editor stays as it was */
  SK_CONFLICT_KEEP_MINE,   /* every field of mine over the other version */
  SK_CONFLICT_TAKE_THEIRS, /* the other version, mine dropped */
  SK_CONFLICT_MERGE,       /* field by field, or nothing to ask */
} SkConflictChoice;

/* The fields a user edits (not id, version, times or what the store
 * computes) that @mine and @theirs both changed from @base, each to a
 * value of its own: what there is to ask. */
GPtrArray *sk_conflict_fields (SkRecord *base, SkRecord *mine, SkRecord *theirs);
/* A copy of @theirs (its version, so that it saves over it) with every
 * field @mine changed from @base taken from @mine, but for the fields both
 * changed that @take_mine does not name. */
gpointer
sk_conflict_merge (SkRecord *base, SkRecord *mine, SkRecord *theirs, const char *const *take_mine);

/* Asks over @parent about the fields both changed (without a dialog when
 * there are none: MERGE). The record to save (MERGE, KEEP_MINE) or to show
 * (TAKE_THEIRS), NULL when cancelled; *choice says which. */
void     sk_conflict_dialog_run_async (GtkWindow          *parent,
                                       SkRecord           *base,
                                       SkRecord           *mine,
                                       SkRecord           *theirs,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
gpointer sk_conflict_dialog_run_finish (GAsyncResult *result, SkConflictChoice *choice);

/* What an editor does when saving @mine (edited from @base) met
 * SK_ERROR_STALE: loads the stored version from @repository and merges,
 * asking over @parent where both changed a field.
 * Finishing gives the record the editor shows from now on in *decided
 * (NULL when the stored version cannot be read or the user cancels), the
 * stored version it was merged with in *stored (the base of what the user
 * edits next; NULL when it could not be read), and
 * TRUE when it is to be saved over the stored version (keep mine, merge);
 * FALSE with an error otherwise (SK_ERROR_STALE: nothing saved, theirs
 * taken or cancelled). */
void     sk_conflict_resolve_async (GtkWindow          *parent,
                                    SkRepository       *repository,
                                    SkRecord           *base,
                                    SkRecord           *mine,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
gboolean sk_conflict_resolve_finish (GAsyncResult *result,
                                     gpointer     *decided,
                                     gpointer     *stored,
                                     GError      **error);

G_END_DECLS
