/* sk-rule-editor.c: the rule editor: user input checked with clear
 * messages before the store's own validation, and a preview of what the
 * rule would have given over the last 30 days; both on the repository's
 * workers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-error.h"
#include "sk-money.h"
#include "sk-record-editor.h"
#include "sk-choice-row.h"
#include "sk-rule-editor.h"
#include "sk-widgets.h"

#define PREVIEW_LIMIT 20000

struct _SkRuleEditor
{
  SkRecordEditor parent_instance;

  GtkLabel      *error_label;
  AdwEntryRow   *name_row;
  AdwEntryRow   *description_row;
  AdwComboRow   *type_row;
  AdwEntryRow   *value_row;
  GtkSwitch     *active_switch;
  GtkSwitch     *stackable_switch;
  GtkSpinButton *priority_spin;
  AdwEntryRow   *min_purchase_row;
  AdwEntryRow   *max_discount_row;
  SkChoiceRow   *categories_row;
  SkChoiceRow   *segments_row;
  SkChoiceRow   *stores_row;
  AdwEntryRow   *valid_from_row;
  AdwEntryRow   *valid_until_row;
  GtkSpinButton *limit_total_spin;
  GtkSpinButton *limit_customer_spin;
  AdwComboRow   *campaign_row;
  AdwActionRow  *preview_row;
  GtkSpinner    *preview_spinner;

  GPtrArray    *campaigns;
  guint         preview_id;          /* the preview after the user paused */
  GCancellable *preview_cancellable; /* the preview under way */
  gint64        preview_multiplier;  /* of a bonus multiplier previewed, else 0 */
};

G_DEFINE_FINAL_TYPE (SkRuleEditor, sk_rule_editor, SK_TYPE_RECORD_EDITOR)

/* The copy being edited. */
static SkDiscountRule *
rule_of (SkRuleEditor *self)
{
  return sk_record_editor_get_record (SK_RECORD_EDITOR (self));
}

static const char *const rule_types[]
    = { SK_RULE_PERCENTAGE, SK_RULE_FIXED_AMOUNT, SK_RULE_BONUS_MULTIPLIER };

/* An amount or a percentage, in hundredths, as the user types it. */
static void
set_money_text (AdwEntryRow *row, gint64 hundredths)
{
  g_autofree char *text = hundredths != 0 ? sk_money_format_number (hundredths) : NULL;

  sk_entry_row_set_text (row, text);
}

static GtkWidget *
row_for_field (SkRuleEditor *self, const char *field)
{
  struct
  {
    const char *name;
    gpointer    row;
  } map[] = {
    { "name", self->name_row },
    { "description", self->description_row },
    { "value", self->value_row },
    { "min_purchase", self->min_purchase_row },
    { "max_discount", self->max_discount_row },
    { "categories", self->categories_row },
    { "segments", self->segments_row },
    { "store_ids", self->stores_row },
    { "valid_from", self->valid_from_row },
    { "valid_until", self->valid_until_row },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_strcmp0 (map[i].name, field) == 0)
      return map[i].row;
  return NULL;
}

void
sk_rule_editor_set_field (SkRuleEditor *self, const char *field, const char *text)
{
  GtkWidget *row;

  g_return_if_fail (SK_IS_RULE_EDITOR (self));
  if (g_str_equal (field, "type"))
    {
      adw_combo_row_set_selected (self->type_row, (guint)g_ascii_strtoull (text, NULL, 10));
      return;
    }
  if (g_str_equal (field, "is_active"))
    {
      gtk_switch_set_active (self->active_switch, g_str_equal (text, "true"));
      return;
    }
  row = row_for_field (self, field);
  g_return_if_fail (row != NULL);
  if (SK_IS_CHOICE_ROW (row))
    {
      g_auto (GStrv) values = sk_split_list (text);

      sk_choice_row_set_selected (SK_CHOICE_ROW (row), (const char *const *)values);
      return;
    }
  sk_entry_row_set_text (ADW_ENTRY_ROW (row), text);
}

/* "vip, regular": what a test (or a paste) gives for a list. */
guint
sk_rule_editor_get_n_choices (SkRuleEditor *self, const char *field)
{
  GtkWidget *row;

  g_return_val_if_fail (SK_IS_RULE_EDITOR (self), 0);
  row = row_for_field (self, field);
  g_return_val_if_fail (SK_IS_CHOICE_ROW (row), 0);
  return sk_choice_row_get_n_choices (SK_CHOICE_ROW (row));
}

const char *
sk_rule_editor_get_preview (SkRuleEditor *self)
{
  g_return_val_if_fail (SK_IS_RULE_EDITOR (self), NULL);
  return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->preview_row));
}

static gboolean
parse_money_row (AdwEntryRow *row, gint64 *out, GError **error, const char *what)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  if (*text == '\0')
    {
      *out = 0;
      return TRUE;
    }
  if (!sk_money_parse (text, out) || *out < 0 || *out > SK_MONEY_MAX)
    {
      g_autofree char *whole = sk_money_format_number (150000);
      g_autofree char *kopecks = sk_money_format_number (9990);

      /* Translators: the first %s is a field, like "Minimum purchase"; the
       * others are amounts as the user's locale writes them, like "1,500"
       * and "99.90" */
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID,
                   _ ("%s must be an amount in rubles, like %s or %s"), what, whole, kopecks);
      return FALSE;
    }
  return TRUE;
}

/* Reads the form into @rule; on a bad field, names it and returns it in @bad. */
static gboolean
read_form_into (SkRuleEditor *self, SkDiscountRule *rule, GtkWidget **bad, GError **error)
{
  g_autofree char *name
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  const char *value_text = gtk_editable_get_text (GTK_EDITABLE (self->value_row));
  guint       type = adw_combo_row_get_selected (self->type_row);
  guint       campaign = adw_combo_row_get_selected (self->campaign_row);
  gint64      value = 0, min_purchase, max_discount, from = 0, until = 0;
  g_auto (GStrv) categories = sk_choice_row_get_selected (self->categories_row);
  g_auto (GStrv) segments = sk_choice_row_get_selected (self->segments_row);
  g_auto (GStrv) stores = sk_choice_row_get_selected (self->stores_row);

  *bad = NULL;
  if (*name == '\0')
    {
      *bad = GTK_WIDGET (self->name_row);
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, _ ("The rule needs a name"));
      return FALSE;
    }
  if (type >= G_N_ELEMENTS (rule_types))
    type = 0;
  if (!sk_money_parse (value_text, &value))
    {
      g_autofree char *whole = sk_money_format_number (1000);
      g_autofree char *part = sk_money_format_number (1250);

      *bad = GTK_WIDGET (self->value_row);
      /* Translators: the %s are numbers as the user's locale writes them,
       * like "10" and "12.50" */
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID,
                   _ ("The value must be a number with at most two decimals, like %s or %s"), whole,
                   part);
      return FALSE;
    }
  /* One parser for all three: "10" is 10 % = 1000 bp, 10 ₽ = 1000 kopecks,
   * ×2 = 200 hundredths. */
  if (type == 0 && (value <= 0 || value > 10000))
    {
      *bad = GTK_WIDGET (self->value_row);
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID,
                   _ ("A percentage must be more than 0 and at most 100 %%"));
      return FALSE;
    }
  if (type == 1 && (value <= 0 || value > SK_MONEY_MAX))
    {
      *bad = GTK_WIDGET (self->value_row);
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, _ ("A fixed amount must be more than 0 ₽"));
      return FALSE;
    }
  if (type == 2 && (value < 100 || value > 10000))
    {
      *bad = GTK_WIDGET (self->value_row);
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID,
                   _ ("A bonus multiplier must be between ×1 and ×100"));
      return FALSE;
    }
  if (!parse_money_row (self->min_purchase_row, &min_purchase, error, _ ("Minimum purchase")))
    {
      *bad = GTK_WIDGET (self->min_purchase_row);
      return FALSE;
    }
  if (!parse_money_row (self->max_discount_row, &max_discount, error, _ ("Maximum discount")))
    {
      *bad = GTK_WIDGET (self->max_discount_row);
      return FALSE;
    }
  for (guint i = 0; segments[i] != NULL; i++)
    if (!sk_segment_is_valid (segments[i]))
      {
        *bad = GTK_WIDGET (self->segments_row);
        g_set_error (error, SK_ERROR, SK_ERROR_INVALID,
                     _ ("“%s” is not a segment: use new, one_time, occasional, regular or vip"),
                     segments[i]);
        return FALSE;
      }
  if (!sk_usec_from_date_kept (gtk_editable_get_text (GTK_EDITABLE (self->valid_from_row)),
                               sk_record_get_int64 (rule, "valid_from"), FALSE, &from))
    {
      g_autofree char *example = sk_date_example (0);

      *bad = GTK_WIDGET (self->valid_from_row);
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, _ ("Dates look like %s"), example);
      return FALSE;
    }
  /* "Valid until" a day means to its end. */
  if (!sk_usec_from_date_kept (gtk_editable_get_text (GTK_EDITABLE (self->valid_until_row)),
                               sk_record_get_int64 (rule, "valid_until"), TRUE, &until))
    {
      g_autofree char *example = sk_date_example (0);

      *bad = GTK_WIDGET (self->valid_until_row);
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, _ ("Dates look like %s"), example);
      return FALSE;
    }
  if (from != 0 && until != 0 && until <= from)
    {
      *bad = GTK_WIDGET (self->valid_until_row);
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, _ ("The rule must end after it starts"));
      return FALSE;
    }

  g_object_set (
      rule, "name", name, "description",
      gtk_editable_get_text (GTK_EDITABLE (self->description_row)), "type", rule_types[type],
      "value", value, "min-purchase", min_purchase, "max-discount", max_discount, "categories",
      categories[0] ? categories : NULL, "segments", segments[0] ? segments : NULL, "store-ids",
      stores[0] ? stores : NULL, "valid-from", from, "valid-until", until, "usage-limit-total",
      (gint64)gtk_spin_button_get_value_as_int (self->limit_total_spin), "usage-limit-per-customer",
      (gint64)gtk_spin_button_get_value_as_int (self->limit_customer_spin), "is-active",
      gtk_switch_get_active (self->active_switch), "stackable",
      gtk_switch_get_active (self->stackable_switch), "priority",
      (gint64)gtk_spin_button_get_value_as_int (self->priority_spin), NULL);
  /* Until the campaigns are read the rule keeps its own. */
  if (self->campaigns != NULL)
    g_object_set (rule, "campaign-id",
                  campaign > 0 && campaign <= self->campaigns->len
                      ? sk_record_get_id (g_ptr_array_index (self->campaigns, campaign - 1))
                      : NULL,
                  NULL);
  if (!sk_discount_rule_validate (rule, error))
    {
      const char *field = sk_error_get_field (error ? *error : NULL);

      *bad = field ? row_for_field (self, field) : NULL;
      return FALSE;
    }
  return TRUE;
}

static void
mark_error (SkRuleEditor *self, GtkWidget *bad, const char *message)
{
  gpointer rows[] = { self->name_row,         self->value_row,      self->min_purchase_row,
                      self->max_discount_row, self->categories_row, self->segments_row,
                      self->stores_row,       self->valid_from_row, self->valid_until_row };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (rows[i]), "error");
  sk_error_label_set (self->error_label, message);
  if (bad != NULL)
    {
      gtk_widget_add_css_class (bad, "error");
      if (ADW_IS_EXPANDER_ROW (bad))
        adw_expander_row_set_expanded (ADW_EXPANDER_ROW (bad), TRUE);
      gtk_widget_grab_focus (bad);
    }
}

static void
show_error (SkRecordEditor *editor, const GError *error)
{
  mark_error (SK_RULE_EDITOR (editor), NULL, error ? error->message : NULL);
}

static gboolean
read_form (SkRecordEditor *editor, GError **error)
{
  SkRuleEditor *self = SK_RULE_EDITOR (editor);
  GtkWidget    *bad = NULL;

  if (read_form_into (self, rule_of (self), &bad, error))
    return TRUE;
  mark_error (self, bad, (*error)->message);
  return FALSE;
}

static void
preview_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree SkRulePreview *preview
      = sk_repository_preview_rule_finish (SK_REPOSITORY (source), result, &error);
  SkRuleEditor *self;

  if (preview == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_RULE_EDITOR (user_data);
  gtk_spinner_stop (self->preview_spinner);
  if (preview == NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->preview_row), error->message);
      return;
    }
  {
    gulong           n = (gulong)MIN (preview->purchases, G_MAXULONG);
    g_autofree char *matched = g_strdup_printf ("%" G_GINT64_FORMAT, preview->matched);
    g_autofree char *total = g_strdup_printf ("%" G_GINT64_FORMAT, preview->purchases);
    /* A multiplier takes no money off: it multiplies the bonuses. */
    g_autofree char *effect = self->preview_multiplier > 0
                                  ? g_strdup_printf ("×%g", self->preview_multiplier / 100.0)
                                  : sk_money_format (preview->amount);
    g_autofree char *title
        = g_strdup_printf (self->preview_multiplier > 0
                               /* Translators: "12 of 340 purchases, bonuses ×2" */
                               ? g_dngettext (GETTEXT_PACKAGE, "%s of %s purchase, bonuses %s",
                                              "%s of %s purchases, bonuses %s", n)
                               /* Translators: "12 of 340 purchases, 1 200,00 ₽ off" */
                               : g_dngettext (GETTEXT_PACKAGE, "%s of %s purchase, %s off",
                                              "%s of %s purchases, %s off", n),
                           matched, total, effect);

    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->preview_row), title);
    adw_action_row_set_subtitle (
        self->preview_row,
        preview->purchases >= PREVIEW_LIMIT ? _ ("The newest 20 000 purchases of the period") : "");
  }
}

/* @quiet: the preview the editor runs by itself as the user edits; a form
 * not yet valid says so in the preview's row, not as an error. */
static void
run_preview (SkRuleEditor *self, gboolean quiet)
{
  g_autoptr (SkDiscountRule) rule = sk_record_copy (SK_RECORD (rule_of (self)));
  g_autoptr (GError) error = NULL;
  GtkWidget *bad = NULL;
  gint64     now = sk_time_now ();

  g_clear_handle_id (&self->preview_id, g_source_remove);
  /* At HQ's desk this file has no sales to count (the rules' effect is in
   * Charts, from HQ): no preview. */
  if (sk_app_repository () == NULL || sk_repository_get_at_hq (sk_app_repository ()))
    return;
  if (!read_form_into (self, rule, &bad, &error))
    {
      if (quiet)
        {
          sk_cancellable_clear (&self->preview_cancellable);
          gtk_spinner_stop (self->preview_spinner);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->preview_row), error->message);
        }
      else
        mark_error (self, bad, error->message);
      return;
    }
  if (!quiet)
    mark_error (self, NULL, NULL);
  /* Only the count for the form as it is now. */
  sk_cancellable_renew (&self->preview_cancellable);
  self->preview_multiplier
      = g_strcmp0 (sk_record_get_string (rule, "type"), SK_RULE_BONUS_MULTIPLIER) == 0
            ? sk_record_get_int64 (rule, "value")
            : 0;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->preview_row), _ ("Computing…"));
  gtk_spinner_start (self->preview_spinner);
  sk_repository_preview_rule_async (sk_app_repository (), rule,
                                    now - (gint64)G_USEC_PER_SEC * 60 * 60 * 24 * 30, now,
                                    PREVIEW_LIMIT, self->preview_cancellable, preview_done, self);
}

static void
preview_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  run_preview (SK_RULE_EDITOR (widget), FALSE);
}

static gboolean
preview_timeout_cb (gpointer data)
{
  SkRuleEditor *self = data;

  self->preview_id = 0;
  run_preview (self, TRUE);
  return G_SOURCE_REMOVE;
}

/* Any change of the form: the count follows once the user pauses. */
static void
form_changed_cb (SkRuleEditor *self)
{
  g_clear_handle_id (&self->preview_id, g_source_remove);
  self->preview_id = g_timeout_add (400, preview_timeout_cb, self);
}

/* The rule's campaign in the row, once the campaigns are read. */
static void
select_campaign (SkRuleEditor *self)
{
  if (self->campaigns == NULL)
    return;
  adw_combo_row_set_selected (self->campaign_row, 0);
  for (guint i = 0; i < self->campaigns->len; i++)
    if (g_strcmp0 (sk_record_get_id (g_ptr_array_index (self->campaigns, i)),
                   sk_record_get_string (rule_of (self), "campaign_id"))
        == 0)
      adw_combo_row_set_selected (self->campaign_row, i + 1);
}

static void
campaigns_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkRuleEditor *self;
  g_autoptr (GPtrArray) campaigns = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);

  campaigns = sk_repository_list_campaigns_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_RULE_EDITOR (user_data);
  if (campaigns == NULL)
    {
      mark_error (self, NULL, error->message);
      return;
    }
  g_clear_pointer (&self->campaigns, g_ptr_array_unref);
  self->campaigns = g_steal_pointer (&campaigns);
  gtk_string_list_append (names, _ ("None"));
  for (guint i = 0; i < self->campaigns->len; i++)
    gtk_string_list_append (names,
                            sk_record_get_string (g_ptr_array_index (self->campaigns, i), "name"));
  adw_combo_row_set_model (self->campaign_row, G_LIST_MODEL (names));
  select_campaign (self);
}

/* The form as the rule being edited says. */
static void
fill_form (SkRecordEditor *editor)
{
  SkRuleEditor    *self = SK_RULE_EDITOR (editor);
  SkDiscountRule  *r = rule_of (self);
  gint64           valid_from;
  gint64           valid_until;
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;

  sk_entry_row_set_text (self->name_row, sk_record_get_string (r, "name"));
  sk_entry_row_set_text (self->description_row, sk_record_get_string (r, "description"));
  for (guint i = 0; i < G_N_ELEMENTS (rule_types); i++)
    if (g_strcmp0 (sk_record_get_string (r, "type"), rule_types[i]) == 0)
      adw_combo_row_set_selected (self->type_row, i);
  set_money_text (self->value_row, sk_record_get_int64 (r, "value"));
  gtk_switch_set_active (self->active_switch, sk_record_get_boolean (r, "is_active"));
  gtk_switch_set_active (self->stackable_switch, sk_record_get_boolean (r, "stackable"));
  gtk_spin_button_set_value (self->priority_spin, sk_record_get_int64 (r, "priority"));
  set_money_text (self->min_purchase_row, sk_record_get_int64 (r, "min_purchase"));
  set_money_text (self->max_discount_row, sk_record_get_int64 (r, "max_discount"));
  sk_choice_row_set_selected (self->categories_row, sk_record_get_strv (r, "categories"));
  sk_choice_row_set_selected (self->segments_row, sk_record_get_strv (r, "segments"));
  sk_choice_row_set_selected (self->stores_row, sk_record_get_strv (r, "store_ids"));
  valid_from = sk_record_get_int64 (r, "valid_from");
  valid_until = sk_record_get_int64 (r, "valid_until");
  from = valid_from ? sk_date_display_from_usec (valid_from) : NULL;
  until = valid_until ? sk_date_display_from_usec (valid_until) : NULL;
  sk_entry_row_set_text (self->valid_from_row, from);
  sk_entry_row_set_text (self->valid_until_row, until);
  gtk_spin_button_set_value (self->limit_total_spin, sk_record_get_int64 (r, "usage_limit_total"));
  gtk_spin_button_set_value (self->limit_customer_spin,
                             sk_record_get_int64 (r, "usage_limit_per_customer"));
  select_campaign (self);
}

SkRuleEditor *
sk_rule_editor_new (GtkWindow *parent, SkDiscountRule *rule)
{
  SkRuleEditor *self = g_object_new (SK_TYPE_RULE_EDITOR, "transient-for", parent, NULL);
  GCancellable *cancellable = sk_record_editor_get_cancellable (SK_RECORD_EDITOR (self));

  /* A new rule is active and stackable: the type's defaults. */
  sk_record_editor_edit (SK_RECORD_EDITOR (self), sk_app_repository (),
                         rule ? sk_record_copy (SK_RECORD (rule)) : sk_discount_rule_new (),
                         rule == NULL);
  gtk_window_set_title (GTK_WINDOW (self), rule == NULL ? _ ("New Rule") : _ ("Edit Rule"));

  /* The campaigns, stores and categories arrive from a worker. */
  if (sk_app_repository () != NULL)
    {
      sk_repository_list_campaigns_async (sk_app_repository (), cancellable, campaigns_listed_cb,
                                          self);
      sk_choice_row_offer_stores (self->stores_row, cancellable);
      sk_choice_row_offer_categories (self->categories_row, cancellable);
    }

  gtk_widget_set_visible (
      gtk_widget_get_ancestor (GTK_WIDGET (self->preview_row), ADW_TYPE_PREFERENCES_GROUP),
      sk_app_repository () == NULL || !sk_repository_get_at_hq (sk_app_repository ()));
  fill_form (SK_RECORD_EDITOR (self));
  return self;
}

static void
sk_rule_editor_dispose (GObject *object)
{
  SkRuleEditor *self = SK_RULE_EDITOR (object);

  g_clear_handle_id (&self->preview_id, g_source_remove);
  sk_cancellable_clear (&self->preview_cancellable);
  g_clear_pointer (&self->campaigns, g_ptr_array_unref);
  G_OBJECT_CLASS (sk_rule_editor_parent_class)->dispose (object);
}

static void
sk_rule_editor_class_init (SkRuleEditorClass *klass)
{
  GObjectClass        *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass      *widget_class = GTK_WIDGET_CLASS (klass);
  SkRecordEditorClass *editor_class = SK_RECORD_EDITOR_CLASS (klass);

  object_class->dispose = sk_rule_editor_dispose;
  editor_class->busy_message = _ ("The rule is being saved");
  editor_class->read_form = read_form;
  editor_class->fill_form = fill_form;
  editor_class->show_error = show_error;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-rule-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, description_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, type_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, value_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, active_switch);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, stackable_switch);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, priority_spin);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, min_purchase_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, max_discount_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, categories_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, segments_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, stores_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, valid_from_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, valid_until_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, limit_total_spin);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, limit_customer_spin);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, campaign_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, preview_row);
  gtk_widget_class_bind_template_child (widget_class, SkRuleEditor, preview_spinner);

  gtk_widget_class_install_action (widget_class, "editor.preview", NULL, preview_action);
}

static void
sk_rule_editor_init (SkRuleEditor *self)
{
  g_type_ensure (SK_TYPE_CHOICE_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));
  sk_record_editor_set_error_label (SK_RECORD_EDITOR (self), self->error_label);
  sk_choice_row_offer_segments (self->segments_row);
  sk_date_row_show_format (self->valid_from_row, 0);
  sk_date_row_show_format (self->valid_until_row, 0);
  {
    gpointer entries[] = { self->name_row,         self->value_row,      self->min_purchase_row,
                           self->max_discount_row, self->valid_from_row, self->valid_until_row };
    gpointer spins[] = { self->priority_spin, self->limit_total_spin, self->limit_customer_spin };
    gpointer choices[] = { self->categories_row, self->segments_row, self->stores_row };

    for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
      g_signal_connect_swapped (entries[i], "changed", G_CALLBACK (form_changed_cb), self);
    for (guint i = 0; i < G_N_ELEMENTS (spins); i++)
      g_signal_connect_swapped (spins[i], "value-changed", G_CALLBACK (form_changed_cb), self);
    for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
      g_signal_connect_swapped (choices[i], "changed", G_CALLBACK (form_changed_cb), self);
    g_signal_connect_swapped (self->type_row, "notify::selected", G_CALLBACK (form_changed_cb),
                              self);
    g_signal_connect_swapped (self->active_switch, "notify::active", G_CALLBACK (form_changed_cb),
                              self);
    g_signal_connect_swapped (self->stackable_switch, "notify::active",
                              G_CALLBACK (form_changed_cb), self);
  }
}
