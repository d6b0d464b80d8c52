/* sk-campaign-editor.c: create or edit a campaign; the dates, the budget and
 * the order of the dates are checked here, the rest by the store, and the
 * message is shown in place.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-campaign-editor.h"
#include "sk-choice-row.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-record-editor.h"
#include "sk-template-editor.h"
#include "sk-widgets.h"

struct _SkCampaignEditor
{
  SkRecordEditor parent_instance;

  GtkLabel            *error_label;
  AdwEntryRow         *name_row;
  AdwEntryRow         *description_row;
  AdwEntryRow         *starts_row;
  AdwEntryRow         *ends_row;
  SkChoiceRow         *segments_row;
  SkChoiceRow         *stores_row;
  SkChoiceRow         *channels_row;
  AdwEntryRow         *budget_row;
  AdwComboRow         *status_row;
  AdwPreferencesGroup *rules_group;

  GPtrArray *rule_checks;  /* GtkCheckButton, with "rule-id" data */
  gboolean   rules_listed; /* the checks are there */
};

G_DEFINE_FINAL_TYPE (SkCampaignEditor, sk_campaign_editor, SK_TYPE_RECORD_EDITOR)

/* The copy being edited. */
static SkCampaign *
campaign_of (SkCampaignEditor *self)
{
  return sk_record_editor_get_record (SK_RECORD_EDITOR (self));
}

/* In the order of the status row's items in sk-campaign-editor.ui. */
static const char *const statuses[] = { "draft", "scheduled", "active", "finished", "archived" };

void
sk_campaign_editor_set_text (SkCampaignEditor *self, const char *field, const char *text)
{
  struct
  {
    const char *field;
    gpointer    row;
  } rows[] = {
    { "name", self->name_row },         { "description", self->description_row },
    { "starts", self->starts_row },     { "ends", self->ends_row },
    { "segments", self->segments_row }, { "stores", self->stores_row },
    { "channels", self->channels_row }, { "budget", self->budget_row },
  };

  g_return_if_fail (SK_IS_CAMPAIGN_EDITOR (self));
  g_return_if_fail (field != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (g_str_equal (field, rows[i].field))
      {
        if (SK_IS_CHOICE_ROW (rows[i].row))
          {
            g_auto (GStrv) values = sk_split_list (text);

            sk_choice_row_set_selected (rows[i].row, (const char *const *)values);
          }
        else
          sk_entry_row_set_text (rows[i].row, text);
        return;
      }
  g_return_if_reached ();
}

/* The form as the campaign being edited says. */
static void
fill_form (SkRecordEditor *editor)
{
  SkCampaignEditor  *self = SK_CAMPAIGN_EDITOR (editor);
  SkCampaign        *c = campaign_of (self);
  const char *const *rule_ids = sk_record_get_strv (c, "rule_ids");
  g_autofree char   *from = NULL;
  g_autofree char   *to = NULL;
  g_autofree char   *budget = NULL;

  from = sk_date_display_from_usec (sk_record_get_int64 (c, "starts_at"));
  to = sk_date_display_from_usec (sk_record_get_int64 (c, "ends_at"));
  /* Kopecks exactly, as the one money helper writes them; it reads them back. */
  if (sk_record_get_int64 (c, "budget") != 0)
    budget = sk_money_format (sk_record_get_int64 (c, "budget"));
  sk_entry_row_set_text (self->name_row, sk_record_get_string (c, "name"));
  sk_entry_row_set_text (self->description_row, sk_record_get_string (c, "description"));
  sk_entry_row_set_text (self->starts_row, from);
  sk_entry_row_set_text (self->ends_row, to);
  sk_choice_row_set_selected (self->segments_row, sk_record_get_strv (c, "segments"));
  sk_choice_row_set_selected (self->stores_row, sk_record_get_strv (c, "store_ids"));
  sk_choice_row_set_selected (self->channels_row, sk_record_get_strv (c, "channels"));
  sk_entry_row_set_text (self->budget_row, budget);
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    if (g_strcmp0 (sk_record_get_string (c, "status"), statuses[i]) == 0)
      adw_combo_row_set_selected (self->status_row, i);
  for (guint i = 0; i < self->rule_checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (self->rule_checks, i);

      gtk_check_button_set_active (
          check,
          rule_ids && g_strv_contains (rule_ids, g_object_get_data (G_OBJECT (check), "rule-id")));
    }
}

static gboolean
read_form (SkRecordEditor *editor, GError **error)
{
  SkCampaignEditor *self = SK_CAMPAIGN_EDITOR (editor);
  SkCampaign       *campaign = campaign_of (self);
  g_autoptr (GStrvBuilder) rule_ids = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) segments = NULL;
  g_auto (GStrv) stores = NULL;
  g_auto (GStrv) channels = NULL;
  g_auto (GStrv) ids = NULL;
  gint64      from = 0, until = 0, budget = 0;
  const char *budget_text;
  guint       status;
  GtkWidget  *bad = NULL;
  GtkWidget  *checked[] = { GTK_WIDGET (self->starts_row), GTK_WIDGET (self->ends_row),
                            GTK_WIDGET (self->budget_row) };

  rule_ids = g_strv_builder_new ();
  for (guint i = 0; i < self->rule_checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (self->rule_checks, i);

      if (gtk_check_button_get_active (check))
        g_strv_builder_add (rule_ids, g_object_get_data (G_OBJECT (check), "rule-id"));
    }
  ids = g_strv_builder_end (rule_ids);
  segments = sk_choice_row_get_selected (self->segments_row);
  stores = sk_choice_row_get_selected (self->stores_row);
  channels = sk_choice_row_get_selected (self->channels_row);
  budget_text = gtk_editable_get_text (GTK_EDITABLE (self->budget_row));
  status = adw_combo_row_get_selected (self->status_row);

  if (!sk_usec_from_date_kept (gtk_editable_get_text (GTK_EDITABLE (self->starts_row)),
                               sk_record_get_int64 (campaign, "starts_at"), FALSE, &from))
    bad = GTK_WIDGET (self->starts_row);
  else if (!sk_usec_from_date_kept (gtk_editable_get_text (GTK_EDITABLE (self->ends_row)),
                                    sk_record_get_int64 (campaign, "ends_at"), TRUE, &until))
    bad = GTK_WIDGET (self->ends_row);
  if (bad != NULL)
    {
      g_autofree char *example = sk_date_example (0);

      g_set_error (&local, SK_ERROR, SK_ERROR_INVALID, _ ("Dates look like %s"), example);
    }
  else if (until != 0 && from != 0 && until < from)
    {
      bad = GTK_WIDGET (self->ends_row);
      g_set_error (&local, SK_ERROR, SK_ERROR_INVALID, _ ("The campaign must end after it starts"));
    }
  else if (*budget_text != '\0' && !sk_money_parse (budget_text, &budget))
    {
      bad = GTK_WIDGET (self->budget_row);
      g_set_error (&local, SK_ERROR, SK_ERROR_INVALID,
                   _ ("The budget must be an amount in rubles"));
    }
  else if (budget < 0)
    {
      bad = GTK_WIDGET (self->budget_row);
      g_set_error (&local, SK_ERROR, SK_ERROR_INVALID,
                   _ ("The budget cannot be below zero (empty: no budget)"));
    }
  if (local == NULL)
    {
      g_object_set (campaign, "name", gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                    "description", gtk_editable_get_text (GTK_EDITABLE (self->description_row)),
                    "starts-at", from, "ends-at", until, "segments", segments[0] ? segments : NULL,
                    "store-ids", stores[0] ? stores : NULL, "channels",
                    channels[0] ? channels : NULL, "budget", budget, "status",
                    statuses[MIN (status, G_N_ELEMENTS (statuses) - 1)], NULL);
      /* Until the rules are listed the campaign keeps its own. */
      if (self->rules_listed)
        g_object_set (campaign, "rule-ids", ids, NULL);
    }
  /* The field that is wrong is marked, and the focus goes to it. */
  for (guint i = 0; i < G_N_ELEMENTS (checked); i++)
    gtk_widget_remove_css_class (checked[i], "error");
  if (local != NULL)
    {
      sk_error_label_set (self->error_label, local->message);
      gtk_widget_add_css_class (bad, "error");
      gtk_widget_grab_focus (bad);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

static void
rules_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCampaignEditor *self;
  g_autoptr (GPtrArray) rules = NULL;
  g_autoptr (GError) error = NULL;
  const char *const *rule_ids;

  rules = sk_repository_list_rules_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CAMPAIGN_EDITOR (user_data);
  rule_ids = sk_record_get_strv (campaign_of (self), "rule_ids");
  if (rules == NULL)
    {
      sk_error_label_set (self->error_label, error->message);
      return;
    }
  self->rules_listed = TRUE;

  for (guint i = 0; rules && i < rules->len; i++)
    {
      SkDiscountRule *r = g_ptr_array_index (rules, i);
      const char     *name = sk_record_get_string (r, "name");
      GtkWidget      *row = adw_action_row_new ();
      GtkWidget      *check = gtk_check_button_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check),
                                   rule_ids && g_strv_contains (rule_ids, sk_record_get_id (r)));
      g_object_set_data_full (G_OBJECT (check), "rule-id", g_strdup (sk_record_get_id (r)), g_free);
      g_ptr_array_add (self->rule_checks, check);
      adw_preferences_group_add (self->rules_group, row);
    }
}

SkCampaignEditor *
sk_campaign_editor_new (GtkWindow *parent, SkRepository *repository, SkCampaign *campaign)
{
  SkCampaignEditor *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (SK_IS_REPOSITORY (repository), NULL);
  g_return_val_if_fail (campaign == NULL || SK_IS_CAMPAIGN (campaign), NULL);

  self = g_object_new (SK_TYPE_CAMPAIGN_EDITOR, "transient-for", parent, NULL);
  sk_record_editor_edit (SK_RECORD_EDITOR (self), repository,
                         campaign ? sk_record_copy (SK_RECORD (campaign)) : sk_campaign_new (),
                         campaign == NULL);
  if (campaign != NULL)
    gtk_window_set_title (GTK_WINDOW (self), _ ("Edit Campaign"));

  sk_choice_row_offer_segments (self->segments_row);
  sk_choice_row_offer_channels (self->channels_row);
  sk_choice_row_offer_stores (self->stores_row,
                              sk_record_editor_get_cancellable (SK_RECORD_EDITOR (self)));
  fill_form (SK_RECORD_EDITOR (self));
  /* The rules' checks arrive from a worker. */
  sk_repository_list_rules_async (repository,
                                  sk_record_editor_get_cancellable (SK_RECORD_EDITOR (self)),
                                  rules_listed_cb, self);
  return self;
}

static void
sk_campaign_editor_dispose (GObject *object)
{
  SkCampaignEditor *self = SK_CAMPAIGN_EDITOR (object);

  g_clear_pointer (&self->rule_checks, g_ptr_array_unref);
  G_OBJECT_CLASS (sk_campaign_editor_parent_class)->dispose (object);
}

static void
sk_campaign_editor_class_init (SkCampaignEditorClass *klass)
{
  GObjectClass        *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass      *widget_class = GTK_WIDGET_CLASS (klass);
  SkRecordEditorClass *editor_class = SK_RECORD_EDITOR_CLASS (klass);

  object_class->dispose = sk_campaign_editor_dispose;
  editor_class->busy_message = _ ("The campaign is being saved");
  editor_class->read_form = read_form;
  editor_class->fill_form = fill_form;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-campaign-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, description_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, starts_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, ends_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, segments_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, stores_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, channels_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, budget_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, status_row);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignEditor, rules_group);
}

static void
sk_campaign_editor_init (SkCampaignEditor *self)
{
  g_type_ensure (SK_TYPE_CHOICE_ROW);
  g_type_ensure (SK_TYPE_TEMPLATE_EDITOR);
  gtk_widget_init_template (GTK_WIDGET (self));
  sk_record_editor_set_error_label (SK_RECORD_EDITOR (self), self->error_label);
  sk_date_row_show_format (self->starts_row, 0);
  sk_date_row_show_format (self->ends_row, 0);
  self->rule_checks = g_ptr_array_new ();
}
