/* sk-widgets.h: small helpers shared by the views: toasts, money labels,
 * column view columns, rendering a widget to PNG.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-application.h"

G_BEGIN_DECLS

/* The application of a widget's tree (the process's one). */
SkApplication *sk_app (void);
void           sk_app_set_default (SkApplication *app);
/* Its repository: how the views read and write (NULL without an app). */
SkRepository *sk_app_repository (void);

/* Calls @callback (@widget) each time the repository emits one of
 * @signals (NULL-terminated), for as long as @widget lives; without an
 * app, never. */
void
sk_widget_follow_repository (GtkWidget *widget, const char *const *signals, GCallback callback);

/* Cancels the read that *@cancellable guards and drops it (a newer read
 * replaces it, or the widget goes). */
void sk_cancellable_clear (GCancellable **cancellable);
/* The same, then puts a new one in its place for the next read. */
void sk_cancellable_renew (GCancellable **cancellable);

void sk_widget_toast (GtkWidget *widget, const char *message);
/* The same with @toast (taken), for one with a button. */
void sk_widget_add_toast (GtkWidget *widget, AdwToast *toast);
void sk_widget_toast_error (GtkWidget *widget, const GError *error);

/* Sets @row's text; NULL empties it. */
void sk_entry_row_set_text (AdwEntryRow *row, const char *text);
/* "The price must be a positive amount, like 1,299 or 1,299.50", the
 * examples written as the user's locale writes amounts. */
const char *sk_price_hint (void);
/* Puts the focus on the button of @dialog's default response, so that
 * Return answers it whichever way the buttons are laid out (side by side,
 * or stacked, the last first, where they do not fit). */
void sk_message_dialog_focus_default (AdwMessageDialog *dialog);
/* The categories of @products (SkProduct), each once whatever its case,
 * spelled as the first product has it, by name. */
char **sk_categories_of (GPtrArray *products);
/* @entry's text chosen from @choices (a category by name, as the SPEC's
 * editors offer them), or from @none first (the text then empty): a
 * searchable drop-down beside @entry (in a box) takes its place and sets
 * its text; @entry stays, with what it holds, while there is nothing to
 * choose from. Called again, the choices are replaced. */
GtkDropDown        *
sk_editable_offer_choices (GtkEditable *entry, const char *none, const char *const *choices);
char **sk_split_list (const char *text);

/* Shows @message in a form's error label, or hides the label (NULL). */
void sk_error_label_set (GtkLabel *label, const char *message);
/* What a form's error label says, or NULL when it is hidden. */
const char *sk_error_label_get (GtkLabel *label);

/* An editor's save begins: its task, with @source_tag; or, when @busy (a
 * save or a read under way), NULL, the task answered with
 * G_IO_ERROR_PENDING and @busy_message. */
GTask *sk_save_task_new (gpointer            editor,
                         gpointer            source_tag,
                         gboolean            busy,
                         const char         *busy_message,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data);

/* A text column whose cells show @func (item) in a label. */
typedef char *(*SkCellTextFunc) (gpointer item);
GtkColumnViewColumn *
sk_text_column_new (const char *title, SkCellTextFunc func, gboolean numeric, gboolean expand);

/* One text column of a table, its title marked with N_ (). */
typedef struct
{
  const char    *title;
  SkCellTextFunc func;
  gboolean       numeric, expand;
} SkTextColumn;

/* A column of a view that gives way below a width. */
typedef struct
{
  guint column; /* its position */
  int   below;  /* hidden while the view is given less than this, in px */
} SkColumnFit;

/* The view as wide as it is: on a narrow screen the columns of @fits (a
 * static array) give way to the others. Decided by the width the view's
 * scrolled window gives it, after the allocation that told it. */
void sk_column_view_fit_width (GtkColumnView *view, const SkColumnFit *fits, guint n_fits);

/* Puts @records (SkRecord) in @view's list, @store under @selection, in
 * place of what it shows: the selection stays on the record of the same
 * id wherever it lands, or goes to @select_id's (NULL: the one selected);
 * the keyboard focus stays in the list when it was there (its rows are
 * new ones). */
void sk_column_view_replace_records (GtkColumnView      *view,
                                     GListStore         *store,
                                     GtkSingleSelection *selection,
                                     GPtrArray          *records,
                                     const char         *select_id);

/* Appends a text column to @view for each of @columns, titles translated. */
void sk_column_view_append_text_columns (GtkColumnView      *view,
                                         const SkTextColumn *columns,
                                         guint               n_columns);

/* Gives @page the icon its .ui names only when the page is first shown.
 * A status page draws its icon at 128 px, which the icon theme has only as
 * SVG: the first one loaded brings in librsvg (about 7 MB resident), and
 * GTK loads it as soon as the page is styled, hidden page of a stack or not. */
void sk_status_page_defer_icon (AdwStatusPage *page);

/* Renders @widget (realized) to a texture; NULL if it has no size. */
GdkTexture *sk_widget_render_texture (GtkWidget *widget);
gboolean    sk_widget_save_png (GtkWidget *widget, const char *path, GError **error);

/* Dates as people read and type them, in the user's locale (LC_TIME):
 * 31.12.2026 in Russian, 12/31/2026 in English; in the C locale the
 * chain's own, 31.12.2026. A date typed in ISO (2026-12-31) is read in
 * every locale. What is stored and exchanged stays as it is: microseconds
 * at UTC midnight, or ISO "YYYY-MM-DD". */
/* The date of a UTC-midnight date ("" for 0); sk_datetime_from_usec
 * (sk-record.h) gives a date and local time. */
char *sk_date_display_from_usec (gint64 usec);
/* An ISO date as people read it; what is not one, as it is. */
char *sk_date_display_from_iso (const char *iso);
/* A typed date as ISO "YYYY-MM-DD"; NULL when it is not a date. */
char *sk_date_parse (const char *text);
/* The same, but @text left as @stored (ISO) is shown keeps @stored. */
char *sk_date_parse_kept (const char *text, const char *stored);
/* A typed date's first microsecond, UTC; empty: 0. */
gboolean sk_usec_from_date (const char *text, gint64 *usec);
/* What a date field typed means: a date's first microsecond (@end: its
 * last); the date of @stored, left as shown, keeps @stored, so that a
 * record saved unchanged stays as it was. */
gboolean sk_usec_from_date_kept (const char *text, gint64 stored, gboolean end, gint64 *usec);
/* 31 December of the year @years_from_now, as a date is typed: a day and
 * a month that cannot be taken for each other ("31.12.2026", "12/31/2026"). */
char *sk_date_example (int years_from_now);
/* Makes @row's title "Title, e.g. 31.12.2026" (sk_date_example). */
void sk_date_row_show_format (AdwEntryRow *row, int years_from_now);
/* A chart's day, short: "3 ноя", "Nov 3"; "03.11" in the C locale. */
char *sk_day_label_from_iso (const char *iso);
/* A code and the name people read for it, marked with N_ (). */
typedef struct
{
  const char *code;
  const char *name;
} SkDisplayName;

/* The translated name of @code in @names; @code itself when it has none. */
const char *sk_display_name (const SkDisplayName *names, guint n_names, const char *code);
/* Translated name of a segment ("vip" -> "VIP"). */
const char *sk_segment_display_name (const char *segment);
/* "email", "sms", "push" and the notifications' events, as people read them. */
const char *sk_channel_display_name (const char *channel);
const char *sk_notification_event_display_name (const char *event);
/* A ledger entry's reason in the reader's language. */
const char *sk_ledger_reason_display_name (const char *reason);

/* A window opened over another made no wider than it (a phone's 360 px). */
void sk_window_fit_parent (GtkWindow *window);

/* A receipt's text (sk-receipt.h) printed in monospace: through the print
 * dialog over @parent, or exported to a PDF at @path. */
void     sk_receipt_print (GtkWindow *parent, const char *text);
gboolean sk_receipt_export_pdf (const char *text, const char *path, GError **error);

G_END_DECLS
