/* sk-conflict-dialog.h: a record someone else saved while it was being
 * edited (SK_ERROR_STALE, HTTP 412): both versions side by side, and the
 * user keeps theirs, takes the other, or merges field by field.
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
  SK_CONFLICT_MERGE,       /* field by field */
} SkConflictChoice;

/* The fields a user edits (not id, version, times or what the store
 * computes) whose values differ between @mine and @theirs. */
GPtrArray *sk_conflict_fields (SkRecord *mine, SkRecord *theirs);
/* A copy of @theirs (its version, so that it saves over it) with the
 * fields named in @take_mine taken from @mine. */
gpointer sk_conflict_merge (SkRecord *mine, SkRecord *theirs, const char *const *take_mine);

/* Shows both versions over @parent and asks. The record to save (MERGE,
 * KEEP_MINE) or to show (TAKE_THEIRS), NULL when cancelled; *choice says
 * which. */
void     sk_conflict_dialog_run_async (GtkWindow          *parent,
                                       SkRecord           *mine,
                                       SkRecord           *theirs,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
gpointer sk_conflict_dialog_run_finish (GAsyncResult *result, SkConflictChoice *choice);

/* What an editor does when saving @mine met SK_ERROR_STALE: loads the
 * stored version from @repository, shows both over @parent and asks.
 * Finishing gives the record the editor shows from now on in *decided
 * (NULL when the stored version cannot be read or the user cancels), and
 * TRUE when it is to be saved over the stored version (keep mine, merge);
 * FALSE with an error otherwise (SK_ERROR_STALE: nothing saved, theirs
 * taken or cancelled). */
void     sk_conflict_resolve_async (GtkWindow          *parent,
                                    SkRepository       *repository,
                                    SkRecord           *mine,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
gboolean sk_conflict_resolve_finish (GAsyncResult *result, gpointer *decided, GError **error);

G_END_DECLS
