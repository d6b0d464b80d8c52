/* sk-widgets.c: small helpers shared by the views.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "sk-widgets.h"

static SkApplication *default_app;

SkApplication *
sk_app (void)
{
  return default_app;
}

void
sk_app_set_default (SkApplication *app)
{
  default_app = app;
}

SkRepository *
sk_app_repository (void)
{
  return default_app != NULL ? sk_application_get_repository (default_app) : NULL;
}

void
sk_widget_follow_repository (GtkWidget *widget, const char *const *signals, GCallback callback)
{
  SkRepository *repository = sk_app_repository ();

  for (guint i = 0; repository != NULL && signals[i] != NULL; i++)
    g_signal_connect_object (repository, signals[i], callback, widget, G_CONNECT_SWAPPED);
}

void
sk_cancellable_clear (GCancellable **cancellable)
{
  g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
}

void
sk_cancellable_renew (GCancellable **cancellable)
{
  sk_cancellable_clear (cancellable);
  *cancellable = g_cancellable_new ();
}

void
sk_widget_add_toast (GtkWidget *widget, AdwToast *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  GtkRoot   *root;

  if (overlay == NULL && (root = gtk_widget_get_root (widget)) != NULL)
    {
      GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (root));

      if (parent != NULL)
        overlay = gtk_widget_get_first_child (GTK_WIDGET (parent));
      while (overlay != NULL && !ADW_IS_TOAST_OVERLAY (overlay))
        overlay = gtk_widget_get_first_child (overlay);
    }
  if (overlay == NULL)
    {
      g_message ("%s", adw_toast_get_title (toast));
      g_object_unref (g_object_ref_sink (toast));
      return;
    }
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

void
sk_widget_toast (GtkWidget *widget, const char *message)
{
  sk_widget_add_toast (widget, adw_toast_new (message));
}

void
sk_widget_toast_error (GtkWidget *widget, const GError *error)
{
  sk_widget_toast (widget, error->message);
}

void
sk_entry_row_set_text (AdwEntryRow *row, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
}

/* The button labelled @label that is shown: libadwaita 1.2 keeps a
 * dialog's response buttons twice, side by side and stacked, and shows
 * the row that fits. */
static GtkWidget *
find_labelled_button (GtkWidget *widget, const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = GTK_IS_LABEL (child) && gtk_widget_get_mapped (child)
                                 && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), label) == 0
                             ? gtk_widget_get_ancestor (child, GTK_TYPE_BUTTON)
                             : find_labelled_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void focus_response_later (GtkWidget *dialog);

/* libadwaita shows its other row of buttons once the dialog has found its
 * size, after it was first laid out: the focus follows, unless it was
 * moved meanwhile or the dialog is closing. */
static void
response_unmapped_cb (GtkWidget *button, GtkWidget *dialog)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (dialog));

  g_signal_handlers_disconnect_by_func (button, response_unmapped_cb, dialog);
  if (gtk_widget_get_mapped (dialog) && (focus == NULL || focus == button))
    focus_response_later (dialog);
}

static gboolean
focus_response_cb (gpointer data)
{
  g_autoptr (GtkWidget) dialog = g_weak_ref_get (data);
  GtkWidget *button = dialog != NULL ? find_labelled_button (
                          dialog, g_object_get_data (G_OBJECT (dialog), "sk-focus-response"))
                                     : NULL;

  if (button != NULL)
    {
      gtk_widget_grab_focus (button);
      g_signal_connect_object (button, "unmap", G_CALLBACK (response_unmapped_cb), dialog, 0);
    }
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

/* Once it is laid out, which row of buttons shows known; the dialog is
 * not kept for it (it may close first). */
static void
focus_response_later (GtkWidget *dialog)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, dialog);
  g_idle_add_full (G_PRIORITY_LOW, focus_response_cb, ref, (GDestroyNotify)weak_ref_free);
}

void
sk_message_dialog_focus_default (AdwMessageDialog *dialog)
{
  const char *label = adw_message_dialog_get_response_label (
      dialog, adw_message_dialog_get_default_response (dialog));

  g_object_set_data_full (G_OBJECT (dialog), "sk-focus-response", g_strdup (label), g_free);
  focus_response_later (GTK_WIDGET (dialog));
}

const char *
sk_price_hint (void)
{
  static gsize hint = 0;

  /* Made once: the locale stays what it was at the start. */
  if (g_once_init_enter (&hint))
    {
      g_autofree char *whole = sk_money_format_number (129900);
      g_autofree char *kopecks = sk_money_format_number (129950);

      g_once_init_leave (
          &hint, (gsize)g_strdup_printf (_ ("The price must be a positive amount, like %s or %s"),
                                         whole, kopecks));
    }
  return (const char *)hint;
}

static int
by_collation (gconstpointer a, gconstpointer b)
{
  return g_utf8_collate (*(const char **)a, *(const char **)b);
}

char **
sk_categories_of (GPtrArray *products)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; products != NULL && i < products->len; i++)
    {
      const char *category = sk_record_get_string (g_ptr_array_index (products, i), "category");

      if (category != NULL && *category != '\0'
          && g_hash_table_add (seen, g_utf8_casefold (category, -1)))
        g_ptr_array_add (names, (gpointer)category);
    }
  g_ptr_array_sort (names, by_collation);
  g_ptr_array_add (names, NULL);
  return g_strdupv ((char **)names->pdata);
}

static void
choice_selected_cb (GtkDropDown *choice, GParamSpec *pspec, GtkEditable *entry)
{
  GtkStringObject *chosen = gtk_drop_down_get_selected_item (choice);

  /* The first item is none of them. */
  gtk_editable_set_text (entry, chosen != NULL && gtk_drop_down_get_selected (choice) > 0
                                    ? gtk_string_object_get_string (chosen)
                                    : "");
}

GtkDropDown *
sk_editable_offer_choices (GtkEditable *entry, const char *none, const char *const *choices)
{
  GtkDropDown *choice = g_object_get_data (G_OBJECT (entry), "sk-choice");
  g_autoptr (GtkStringList) list = gtk_string_list_new (NULL);
  g_autofree char *typed = g_utf8_casefold (gtk_editable_get_text (entry), -1);
  guint            n = choices != NULL ? g_strv_length ((char **)choices) : 0;
  guint            selected = 0;

  g_return_val_if_fail (GTK_IS_BOX (gtk_widget_get_parent (GTK_WIDGET (entry))), NULL);

  if (choice == NULL)
    {
      GtkExpression *expression
          = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");

      choice = GTK_DROP_DOWN (gtk_drop_down_new (NULL, expression));
      gtk_drop_down_set_enable_search (choice, TRUE);
      gtk_widget_set_hexpand (GTK_WIDGET (choice), gtk_widget_get_hexpand (GTK_WIDGET (entry)));
      gtk_accessible_update_property (GTK_ACCESSIBLE (choice), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      gtk_entry_get_placeholder_text (GTK_ENTRY (entry)), -1);
      gtk_box_insert_child_after (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (entry))),
                                  GTK_WIDGET (choice), GTK_WIDGET (entry));
      g_object_set_data (G_OBJECT (entry), "sk-choice", choice);
      g_signal_connect_object (choice, "notify::selected", G_CALLBACK (choice_selected_cb), entry,
                               0);
    }
  gtk_string_list_append (list, none);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *folded = g_utf8_casefold (choices[i], -1);

      gtk_string_list_append (list, choices[i]);
      /* The text typed or kept so far, if it is one of them. */
      if (g_str_equal (folded, typed))
        selected = i + 1;
    }
  g_signal_handlers_block_by_func (choice, choice_selected_cb, entry);
  gtk_drop_down_set_model (choice, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (choice, selected);
  g_signal_handlers_unblock_by_func (choice, choice_selected_cb, entry);
  /* Nothing to choose from: what is typed in @entry stays. */
  if (n > 0)
    choice_selected_cb (choice, NULL, entry);
  gtk_widget_set_visible (GTK_WIDGET (choice), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (entry), n == 0);
  return choice;
}

char **
sk_split_list (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (*g_strstrip (parts[i]) != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

void
sk_error_label_set (GtkLabel *label, const char *message)
{
  gtk_label_set_text (label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

const char *
sk_error_label_get (GtkLabel *label)
{
  return gtk_widget_get_visible (GTK_WIDGET (label)) ? gtk_label_get_text (label) : NULL;
}

GTask *
sk_save_task_new (gpointer            editor,
                  gpointer            source_tag,
                  gboolean            busy,
                  const char         *busy_message,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (editor, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  if (busy)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "%s", busy_message);
      return NULL;
    }
  return g_steal_pointer (&task);
}

static void
text_cell_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gboolean   numeric = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "numeric"));

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
text_cell_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  SkCellTextFunc   func = user_data;
  gpointer         object = gtk_list_item_get_item (item);
  g_autofree char *text = object != NULL ? func (object) : NULL;

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text ? text : "");
}

GtkColumnViewColumn *
sk_text_column_new (const char *title, SkCellTextFunc func, gboolean numeric, gboolean expand)
{
  GtkListItemFactory  *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  g_object_set_data (G_OBJECT (factory), "numeric", GINT_TO_POINTER (numeric));
  g_signal_connect (factory, "setup", G_CALLBACK (text_cell_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (text_cell_bind), func);
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_column_set_resizable (column, TRUE);
  return column;
}

typedef struct
{
  GtkColumnView     *view; /* whose data this is */
  const SkColumnFit *fits;
  guint              n_fits;
  guint              idle_id;
} ColumnFit;

static void
column_fit_free (ColumnFit *fit)
{
  g_clear_handle_id (&fit->idle_id, g_source_remove);
  g_free (fit);
}

static gboolean
column_fit_apply (gpointer data)
{
  ColumnFit     *fit = data;
  GtkAdjustment *adjustment = gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (fit->view));
  GListModel    *columns = gtk_column_view_get_columns (fit->view);
  double         width = adjustment ? gtk_adjustment_get_page_size (adjustment) : 0;

  fit->idle_id = 0;
  for (guint i = 0; width > 0 && i < fit->n_fits; i++)
    {
      g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (columns, fit->fits[i].column);
      gboolean shown = width >= fit->fits[i].below;

      if (column != NULL && gtk_column_view_column_get_visible (column) != shown)
        gtk_column_view_column_set_visible (column, shown);
    }
  return G_SOURCE_REMOVE;
}

/* Never inside an allocation: the columns it changes would ask for
 * another. */
static void
column_fit_width_changed_cb (GtkColumnView *view)
{
  ColumnFit *fit = g_object_get_data (G_OBJECT (view), "sk-column-fit");

  if (fit->idle_id == 0)
    fit->idle_id = g_idle_add (column_fit_apply, fit);
}

void
sk_column_view_fit_width (GtkColumnView *view, const SkColumnFit *fits, guint n_fits)
{
  ColumnFit     *fit = g_new0 (ColumnFit, 1);
  GtkAdjustment *adjustment;

  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));
  adjustment = gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (view));
  g_return_if_fail (adjustment != NULL);
  fit->view = view;
  fit->fits = fits;
  fit->n_fits = n_fits;
  g_object_set_data_full (G_OBJECT (view), "sk-column-fit", fit, (GDestroyNotify)column_fit_free);
  g_signal_connect_object (adjustment, "changed", G_CALLBACK (column_fit_width_changed_cb), view,
                           G_CONNECT_SWAPPED);
}

void
sk_column_view_replace_records (GtkColumnView      *view,
                                GListStore         *store,
                                GtkSingleSelection *selection,
                                GPtrArray          *records,
                                const char         *select_id)
{
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (view));
  GtkWidget       *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  gboolean         focused = focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (view));
  gpointer         selected = gtk_single_selection_get_selected_item (selection);
  g_autofree char *keep = g_strdup (select_id != NULL  ? select_id
                                    : selected != NULL ? sk_record_get_id (selected)
                                                       : NULL);

  g_list_store_splice (store, 0, g_list_model_get_n_items (G_LIST_MODEL (store)), records->pdata,
                       records->len);
  for (guint i = 0; keep != NULL && i < records->len; i++)
    if (g_strcmp0 (sk_record_get_id (g_ptr_array_index (records, i)), keep) == 0)
      gtk_single_selection_set_selected (selection, i);
  /* The row that had it is gone: without this the window's focus falls to
   * its first widget, the view switcher, after an edit saved. */
  if (focused)
    gtk_widget_grab_focus (GTK_WIDGET (view));
}

void
sk_column_view_append_text_columns (GtkColumnView      *view,
                                    const SkTextColumn *columns,
                                    guint               n_columns)
{
  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));

  for (guint i = 0; i < n_columns; i++)
    {
      g_autoptr (GtkColumnViewColumn) column = sk_text_column_new (
          _ (columns[i].title), columns[i].func, columns[i].numeric, columns[i].expand);

      gtk_column_view_append_column (view, column);
    }
}

static void
status_page_map_cb (GtkWidget *page)
{
  const char *icon = g_object_get_data (G_OBJECT (page), "sk-deferred-icon");

  g_signal_handlers_disconnect_by_func (page, status_page_map_cb, NULL);
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), icon);
}

void
sk_status_page_defer_icon (AdwStatusPage *page)
{
  g_return_if_fail (ADW_IS_STATUS_PAGE (page));

  if (adw_status_page_get_icon_name (page) == NULL)
    return;
  g_object_set_data_full (G_OBJECT (page), "sk-deferred-icon",
                          g_strdup (adw_status_page_get_icon_name (page)), g_free);
  adw_status_page_set_icon_name (page, NULL);
  g_signal_connect (page, "map", G_CALLBACK (status_page_map_cb), NULL);
}

GdkTexture *
sk_widget_render_texture (GtkWidget *widget)
{
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  GtkNative   *native;
  GskRenderer *renderer;
  int          width = gtk_widget_get_width (widget);
  int          height = gtk_widget_get_height (widget);

  native = gtk_widget_get_native (widget);
  if (width <= 0 || height <= 0 || native == NULL)
    return NULL;
  renderer = gtk_native_get_renderer (native);
  if (renderer == NULL)
    return NULL;
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  /* An opaque background, as the window would draw it. */
  {
    GdkRGBA          bg;
    AdwStyleManager *style = adw_style_manager_get_default ();

    gdk_rgba_parse (&bg, adw_style_manager_get_dark (style) ? "#242424" : "#fafafa");
    gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (0, 0, width, height));
  }
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return NULL;
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

gboolean
sk_widget_save_png (GtkWidget *widget, const char *path, GError **error)
{
  g_autoptr (GdkTexture) texture = sk_widget_render_texture (widget);

  if (texture == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _ ("Nothing to save: the view is not shown"));
      return FALSE;
    }
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("Cannot write %s"), path);
      return FALSE;
    }
  return TRUE;
}

/* Dates as people read and type them. The locale's own ("%x": 31.12.2026
 * in Russian, 12/31/2026 in English); the C locale's ("11/03/26") is no
 * one's, so there the chain's own, Russian, as money does (sk_money_format). */
static gboolean
chain_dates (void)
{
  const char *name = setlocale (LC_TIME, NULL);

  return name == NULL || g_str_equal (name, "C") || g_str_equal (name, "POSIX")
         || g_str_has_prefix (name, "C.");
}

static const char *
date_format (void)
{
  return chain_dates () ? "%d.%m.%Y" : "%x";
}

/* The numbers of a date as written, at most three of at most four digits. */
typedef struct
{
  guint n;
  int   value[3];
  guint digits[3];
} DateNumbers;

/* Reads the runs of digits of @text; FALSE for more than three, or for
 * anything between them other than spaces, punctuation and, when
 * @separators is not NULL, the characters in it. */
static gboolean
date_numbers (const char *text, const char *separators, DateNumbers *out)
{
  memset (out, 0, sizeof *out);
  for (const char *p = text; *p != '\0';)
    {
      gunichar c;

      if (g_ascii_isdigit (*p))
        {
          if (out->n == G_N_ELEMENTS (out->value))
            return FALSE;
          for (; g_ascii_isdigit (*p); p++)
            {
              if (++out->digits[out->n] > 4)
                return FALSE;
              out->value[out->n] = out->value[out->n] * 10 + (*p - '0');
            }
          out->n++;
          continue;
        }
      c = g_utf8_get_char_validated (p, -1);
      if (c == (gunichar)-1 || c == (gunichar)-2)
        return FALSE;
      if (separators != NULL && !g_unichar_isspace (c) && !g_unichar_ispunct (c)
          && g_utf8_strchr (separators, -1, c) == NULL)
        return FALSE;
      p = g_utf8_next_char (p);
    }
  return TRUE;
}

/* Where the locale writes the day, the month and the year (0, 1 or 2),
 * learnt as GLib's g_date_set_parse does, from how it writes 4 July 1976;
 * FALSE when that is not three numbers (a month's name, an era). */
typedef struct
{
  guint    day, month, year;
  gboolean short_year; /* "76" */
  char    *sample;     /* its separators are the locale's */
} DateLayout;

static gboolean
date_layout (DateLayout *layout)
{
  g_autoptr (GDateTime) dt = g_date_time_new_utc (1976, 7, 4, 0, 0, 0);
  DateNumbers numbers;
  guint       seen = 0;

  layout->sample = g_date_time_format (dt, date_format ());
  layout->short_year = FALSE;
  if (layout->sample == NULL || !date_numbers (layout->sample, NULL, &numbers) || numbers.n != 3)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    switch (numbers.value[i])
      {
      case 4:
        layout->day = i;
        seen |= 1;
        break;
      case 7:
        layout->month = i;
        seen |= 2;
        break;
      case 76:
        layout->short_year = TRUE;
        G_GNUC_FALLTHROUGH;
      case 1976:
        layout->year = i;
        seen |= 4;
        break;
      default:
        return FALSE;
      }
  return seen == 7;
}

/* What @text, as typed into a date field, means: a date in the locale's
 * order (31.12.2026, 12/31/2026; a year of two digits where the locale
 * writes them so), or in ISO (2026-12-31) whatever the locale. Stricter
 * than g_date_set_parse, which a form cannot use alone: it reads "12.2026"
 * as 1 December and "31.12.26" as the year 26; it reads the locales whose
 * dates are not three numbers. */
static gboolean
date_parse (const char *text, GDate *date)
{
  DateLayout  layout = { 0 };
  DateNumbers typed;
  int         day, month, year;
  guint       year_digits;
  gboolean    known = date_layout (&layout);

  g_date_clear (date, 1);
  if (!date_numbers (text, layout.sample, &typed))
    {
      g_free (layout.sample);
      return FALSE;
    }
  g_free (layout.sample);
  if (typed.n != 3)
    return FALSE;
  if (typed.digits[0] == 4)
    {
      year = typed.value[0], month = typed.value[1], day = typed.value[2];
      year_digits = 4;
      if (typed.digits[1] > 2 || typed.digits[2] > 2)
        return FALSE;
    }
  else if (known)
    {
      year = typed.value[layout.year];
      month = typed.value[layout.month];
      day = typed.value[layout.day];
      year_digits = typed.digits[layout.year];
      if (typed.digits[layout.month] > 2 || typed.digits[layout.day] > 2)
        return FALSE;
    }
  else
    {
      g_date_set_parse (date, text);
      return g_date_valid (date) && g_date_get_year (date) >= 1000;
    }
  /* Two digits as g_date_set_parse reads them: from 1930 to 2029. */
  if (year_digits == 2 && layout.short_year)
    year += year < 30 ? 2000 : 1900;
  else if (year_digits != 4)
    return FALSE;
  if (!g_date_valid_dmy (day, month, year))
    return FALSE;
  g_date_set_dmy (date, day, month, year);
  return TRUE;
}

static char *
format_date (const GDate *date, const char *format)
{
  g_autoptr (GDateTime) dt = g_date_time_new_utc (g_date_get_year (date), g_date_get_month (date),
                                                  g_date_get_day (date), 0, 0, 0);

  return dt ? g_date_time_format (dt, format) : g_strdup ("");
}

/* The date of an ISO "YYYY-MM-DD"; FALSE when it is none. */
static gboolean
date_from_iso (const char *iso, GDate *date)
{
  g_date_clear (date, 1);
  if (!sk_date_is_valid (iso))
    return FALSE;
  g_date_set_dmy (date, (GDateDay)atoi (iso + 8), (GDateMonth)atoi (iso + 5),
                  (GDateYear)atoi (iso));
  return TRUE;
}

char *
sk_date_display_from_usec (gint64 usec)
{
  g_autoptr (GDateTime) dt = NULL;

  if (usec == 0)
    return g_strdup ("");
  dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  return dt ? g_date_time_format (dt, date_format ()) : g_strdup ("");
}

char *
sk_date_display_from_iso (const char *iso)
{
  GDate date;

  if (iso == NULL)
    return NULL;
  if (!date_from_iso (iso, &date))
    return g_strdup (iso);
  return format_date (&date, date_format ());
}

char *
sk_date_parse (const char *text)
{
  GDate date;

  if (text == NULL || !date_parse (text, &date))
    return NULL;
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (&date), g_date_get_month (&date),
                          g_date_get_day (&date));
}

char *
sk_date_parse_kept (const char *text, const char *stored)
{
  g_autofree char *shown = sk_date_display_from_iso (stored);
  g_autofree char *stripped = g_strstrip (g_strdup (text ? text : ""));

  if (stored != NULL && g_strcmp0 (stripped, shown) == 0)
    return g_strdup (stored);
  return sk_date_parse (text);
}

gboolean
sk_usec_from_date (const char *text, gint64 *usec)
{
  g_autoptr (GDateTime) dt = NULL;
  GDate date;

  g_return_val_if_fail (usec != NULL, FALSE);
  if (text == NULL || *text == '\0')
    {
      *usec = 0;
      return TRUE;
    }
  if (!date_parse (text, &date))
    return FALSE;
  dt = g_date_time_new_utc (g_date_get_year (&date), g_date_get_month (&date),
                            g_date_get_day (&date), 0, 0, 0);
  if (dt == NULL)
    return FALSE;
  *usec = g_date_time_to_unix (dt) * G_USEC_PER_SEC;
  return TRUE;
}

gboolean
sk_usec_from_date_kept (const char *text, gint64 stored, gboolean end, gint64 *usec)
{
  g_autofree char *shown = sk_date_display_from_usec (stored);
  g_autofree char *stripped = g_strstrip (g_strdup (text ? text : ""));

  if (stored != 0 && g_strcmp0 (stripped, shown) == 0)
    {
      *usec = stored;
      return TRUE;
    }
  if (!sk_usec_from_date (stripped, usec))
    return FALSE;
  if (end && *usec != 0)
    *usec += (gint64)G_USEC_PER_SEC * 60 * 60 * 24 - 1;
  return TRUE;
}

char *
sk_date_example (int years_from_now)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 31, G_DATE_DECEMBER,
                  (GDateYear)(g_date_time_get_year (now) + years_from_now));
  return format_date (&date, date_format ());
}

void
sk_date_row_show_format (AdwEntryRow *row, int years_from_now)
{
  g_autofree char *example = sk_date_example (years_from_now);
  g_autofree char *title = NULL;

  g_return_if_fail (ADW_IS_ENTRY_ROW (row));
  /* Translators: a date field's title, then a date typed as it wants. */
  title = g_strdup_printf (_ ("%s, e.g. %s"),
                           adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), example);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
}

char *
sk_day_label_from_iso (const char *iso)
{
  DateLayout layout = { 0 };
  GDate      date;
  gboolean   known;

  if (!date_from_iso (iso, &date))
    return g_strdup (iso ? iso : "");
  if (chain_dates ())
    return format_date (&date, "%d.%m");
  known = date_layout (&layout);
  g_free (layout.sample);
  /* The month's short name on the side the locale writes it: "3 ноя", "Nov 3". */
  return format_date (&date, known && layout.month < layout.day ? "%b %-d" : "%-d %b");
}

const char *
sk_display_name (const SkDisplayName *names, guint n_names, const char *code)
{
  for (guint i = 0; i < n_names; i++)
    if (g_strcmp0 (code, names[i].code) == 0)
      return _ (names[i].name);
  return code;
}

const char *
sk_channel_display_name (const char *channel)
{
  static const SkDisplayName names[] = {
    { "email", N_ ("Email") },
    { "sms", N_ ("SMS") },
    { "push", N_ ("Push") },
  };

  return sk_display_name (names, G_N_ELEMENTS (names), channel);
}

const char *
sk_notification_event_display_name (const char *event)
{
  static const SkDisplayName names[] = {
    { "bonus_earned", N_ ("Bonuses earned") },
    { "birthday", N_ ("Birthday") },
    { "campaign", N_ ("Campaign announcement") },
  };

  return sk_display_name (names, G_N_ELEMENTS (names), event);
}

/* The reasons the core writes itself are stored in English, whatever the
 * till's language, so that HQ and every till read one text; a cashier's own
 * words are shown as typed. */
const char *
sk_ledger_reason_display_name (const char *reason)
{
  static const char *const own[] = {
    N_ ("Paid with bonuses"),
    N_ ("Bonuses for a purchase"),
    N_ ("Bonuses expired"),
    N_ ("Refund: bonuses paid are returned"),
    N_ ("Refund: bonuses earned are taken back"),
  };

  for (guint i = 0; i < G_N_ELEMENTS (own); i++)
    if (g_strcmp0 (reason, own[i]) == 0)
      return _ (own[i]);
  return reason;
}

const char *
sk_segment_display_name (const char *segment)
{
  static const SkDisplayName names[] = {
    { "vip", N_ ("VIP") },
    { "regular", N_ ("Regular") },
    { "occasional", N_ ("Occasional") },
    { "one_time", N_ ("One-time") },
    { "new", N_ ("New") },
  };

  return sk_display_name (names, G_N_ELEMENTS (names), segment ? segment : "");
}

/* Printing receipts */

static void
print_begin (GtkPrintOperation *op, GtkPrintContext *context, gpointer user_data)
{
  gtk_print_operation_set_n_pages (op, 1);
}

static void
print_draw_page (GtkPrintOperation *op, GtkPrintContext *context, int page_nr, gpointer user_data)
{
  const char           *text = user_data;
  cairo_t              *cr = gtk_print_context_get_cairo_context (context);
  PangoLayout          *layout = gtk_print_context_create_pango_layout (context);
  PangoFontDescription *font = pango_font_description_from_string ("Monospace 9");

  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, 0, 0);
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  g_object_unref (layout);
}

/* One operation for the dialog and for export, so both draw the same. */
static GtkPrintOperation *
receipt_print_operation_new (const char *text)
{
  GtkPrintOperation *op = gtk_print_operation_new ();

  gtk_print_operation_set_job_name (op, _ ("Receipt"));
  g_signal_connect (op, "begin-print", G_CALLBACK (print_begin), NULL);
  g_signal_connect_data (op, "draw-page", G_CALLBACK (print_draw_page), g_strdup (text),
                         (GClosureNotify)(void (*) (void))g_free, 0);
  return op;
}

void
sk_receipt_print (GtkWindow *parent, const char *text)
{
  g_autoptr (GtkPrintOperation) op = receipt_print_operation_new (text);
  g_autoptr (GError) error = NULL;

  if (gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, parent, &error)
      == GTK_PRINT_OPERATION_RESULT_ERROR)
    g_warning ("Printing failed: %s", error->message);
}

gboolean
sk_receipt_export_pdf (const char *text, const char *path, GError **error)
{
  g_autoptr (GtkPrintOperation) op = receipt_print_operation_new (text);

  gtk_print_operation_set_export_filename (op, path);
  return gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, error)
         != GTK_PRINT_OPERATION_RESULT_ERROR;
}

void
sk_window_fit_parent (GtkWindow *window)
{
  GtkWindow *parent;
  int        parent_width, width, height;

  g_return_if_fail (GTK_IS_WINDOW (window));

  parent = gtk_window_get_transient_for (window);
  parent_width = parent ? gtk_widget_get_width (GTK_WIDGET (parent)) : 0;
  gtk_window_get_default_size (window, &width, &height);
  if (parent_width > 0 && parent_width < width)
    gtk_window_set_default_size (window, parent_width, height);
}
