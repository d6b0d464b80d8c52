/* sk-choice-row.c: an expander row of check rows: values picked by their
 * names; its subtitle says what is picked. Emits "changed".
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-choice-row.h"
#include "sk-widgets.h"

struct _SkChoiceRow
{
  AdwExpanderRow parent_instance;

  GPtrArray *rows;   /* AdwActionRow, one per choice */
  GPtrArray *values; /* char *, parallel */
  gboolean   quiet;  /* no "changed" while the choices are set */
};

G_DEFINE_FINAL_TYPE (SkChoiceRow, sk_choice_row, ADW_TYPE_EXPANDER_ROW)

enum
{
  CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static GtkCheckButton *
row_check (GtkWidget *row)
{
  return g_object_get_data (G_OBJECT (row), "check");
}

static void
update_subtitle (SkChoiceRow *self)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);

      if (!gtk_check_button_get_active (row_check (row)))
        continue;
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
    }
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), text->len > 0 ? text->str : _ ("Any"));
}

static void
toggled_cb (GtkCheckButton *check, SkChoiceRow *self)
{
  update_subtitle (self);
  if (!self->quiet)
    g_signal_emit (self, signals[CHANGED], 0);
}

static int
find (SkChoiceRow *self, const char *value, gboolean any_case)
{
  for (guint i = 0; i < self->values->len; i++)
    {
      const char *v = g_ptr_array_index (self->values, i);

      if (g_strcmp0 (v, value) == 0)
        return (int)i;
    }
  for (guint i = 0; any_case && i < self->values->len; i++)
    {
      g_autofree char *a = g_utf8_casefold (g_ptr_array_index (self->values, i), -1);
      g_autofree char *b = g_utf8_casefold (value, -1);

      if (g_str_equal (a, b))
        return (int)i;
    }
  return -1;
}

static void
add_choice (SkChoiceRow *self, const char *value, const char *label, gboolean active)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label ? label : value);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), active);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label ? label : value, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_object_set_data (G_OBJECT (row), "check", check);
  g_signal_connect (check, "toggled", G_CALLBACK (toggled_cb), self);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
  g_ptr_array_add (self->rows, row);
  g_ptr_array_add (self->values, g_strdup (value));
}

static void
clear_choices (SkChoiceRow *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_expander_row_remove (ADW_EXPANDER_ROW (self), g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  g_ptr_array_set_size (self->values, 0);
}

void
sk_choice_row_set_choices (SkChoiceRow *self, const char *const *values, const char *const *labels)
{
  g_auto (GStrv) picked = NULL;

  g_return_if_fail (SK_IS_CHOICE_ROW (self));
  picked = sk_choice_row_get_selected (self);
  self->quiet = TRUE;
  clear_choices (self);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    if (find (self, values[i], FALSE) < 0)
      add_choice (self, values[i], labels ? labels[i] : NULL, FALSE);
  self->quiet = FALSE;
  sk_choice_row_set_selected (self, (const char *const *)picked);
}

void
sk_choice_row_set_selected (SkChoiceRow *self, const char *const *values)
{
  g_return_if_fail (SK_IS_CHOICE_ROW (self));
  self->quiet = TRUE;
  /* Choices that were kept only because they were picked go. */
  for (guint i = self->rows->len; i-- > 0;)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);

      gtk_check_button_set_active (row_check (row), FALSE);
      if (g_object_get_data (G_OBJECT (row), "extra") != NULL)
        {
          adw_expander_row_remove (ADW_EXPANDER_ROW (self), row);
          g_ptr_array_remove_index (self->rows, i);
          g_ptr_array_remove_index (self->values, i);
        }
    }
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      int at = find (self, values[i], TRUE);

      if (at < 0)
        {
          add_choice (self, values[i], NULL, TRUE);
          g_object_set_data (G_OBJECT (g_ptr_array_index (self->rows, self->rows->len - 1)),
                             "extra", GINT_TO_POINTER (1));
        }
      else
        gtk_check_button_set_active (row_check (g_ptr_array_index (self->rows, at)), TRUE);
    }
  self->quiet = FALSE;
  update_subtitle (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

char **
sk_choice_row_get_selected (SkChoiceRow *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char        **picked;

  g_return_val_if_fail (SK_IS_CHOICE_ROW (self), NULL);
  for (guint i = 0; i < self->rows->len; i++)
    if (gtk_check_button_get_active (row_check (g_ptr_array_index (self->rows, i))))
      g_strv_builder_add (builder, g_ptr_array_index (self->values, i));
  picked = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return picked;
}

guint
sk_choice_row_get_n_choices (SkChoiceRow *self)
{
  g_return_val_if_fail (SK_IS_CHOICE_ROW (self), 0);
  return self->values->len;
}

/* A fixed list of codes (at most 7), each shown by its translated name. */
static void
offer_named (SkChoiceRow *self, const char *const *codes, const char *(*name_of) (const char *))
{
  const char *names[8];
  guint       n = 0;

  for (; codes[n] != NULL && n < G_N_ELEMENTS (names) - 1; n++)
    names[n] = name_of (codes[n]);
  names[n] = NULL;
  sk_choice_row_set_choices (self, codes, names);
}

void
sk_choice_row_offer_segments (SkChoiceRow *self)
{
  static const char *const segments[]
      = { SK_SEGMENT_NEW,     SK_SEGMENT_ONE_TIME, SK_SEGMENT_OCCASIONAL,
          SK_SEGMENT_REGULAR, SK_SEGMENT_VIP,      NULL };

  g_return_if_fail (SK_IS_CHOICE_ROW (self));
  offer_named (self, segments, sk_segment_display_name);
}

void
sk_choice_row_offer_channels (SkChoiceRow *self)
{
  static const char *const channels[] = { "email", "sms", "push", NULL };

  g_return_if_fail (SK_IS_CHOICE_ROW (self));
  offer_named (self, channels, sk_channel_display_name);
}

static void
stores_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GPtrArray) stores = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_null_terminated (0, NULL, TRUE);
  g_autoptr (GPtrArray) names = g_ptr_array_new_null_terminated (0, NULL, TRUE);
  SkChoiceRow *self;

  stores = sk_repository_list_stores_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CHOICE_ROW (user_data);
  if (stores == NULL)
    {
      sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  for (guint i = 0; i < stores->len; i++)
    {
      g_ptr_array_add (ids, (gpointer)sk_record_get_id (g_ptr_array_index (stores, i)));
      g_ptr_array_add (names,
                       (gpointer)sk_record_get_string (g_ptr_array_index (stores, i), "name"));
    }
  sk_choice_row_set_choices (self, (const char *const *)ids->pdata,
                             (const char *const *)names->pdata);
}

void
sk_choice_row_offer_stores (SkChoiceRow *self, GCancellable *cancellable)
{
  g_return_if_fail (SK_IS_CHOICE_ROW (self));
  if (sk_app_repository () != NULL)
    sk_repository_list_stores_async (sk_app_repository (), cancellable, stores_listed_cb, self);
}

/* The chain's categories are those of its products, spelled as there. */
static void
products_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) categories = NULL;
  SkChoiceRow *self;

  products = sk_repository_list_products_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CHOICE_ROW (user_data);
  if (products == NULL)
    {
      sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  categories = sk_categories_of (products);
  sk_choice_row_set_choices (self, (const char *const *)categories, NULL);
}

void
sk_choice_row_offer_categories (SkChoiceRow *self, GCancellable *cancellable)
{
  g_return_if_fail (SK_IS_CHOICE_ROW (self));
  if (sk_app_repository () != NULL)
    sk_repository_list_products_async (sk_app_repository (), cancellable, products_listed_cb, self);
}

GtkWidget *
sk_choice_row_new (void)
{
  return g_object_new (SK_TYPE_CHOICE_ROW, NULL);
}

static void
sk_choice_row_finalize (GObject *object)
{
  SkChoiceRow *self = SK_CHOICE_ROW (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->values, g_ptr_array_unref);
  G_OBJECT_CLASS (sk_choice_row_parent_class)->finalize (object);
}

static void
sk_choice_row_class_init (SkChoiceRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sk_choice_row_finalize;
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);
}

static void
sk_choice_row_init (SkChoiceRow *self)
{
  self->rows = g_ptr_array_new ();
  self->values = g_ptr_array_new_with_free_func (g_free);
  update_subtitle (self);
}
