/* sk-customer-editor.c: register or edit a customer; the store validates
 * (phone format, unique card and phone) and the message is shown in place.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-customer-editor.h"
#include "sk-error.h"
#include "sk-model-private.h"

struct _SkCustomerEditor
{
  AdwWindow parent_instance;

  SkDatabase  *db;
  SkCustomer  *customer;   /* a copy being edited */
  gboolean     is_new;

  AdwEntryRow *name_row;
  AdwEntryRow *phone_row;
  AdwEntryRow *card_row;
  AdwEntryRow *email_row;
  AdwEntryRow *birth_row;
  AdwEntryRow *children_row;
  GtkSwitch   *email_switch;
  GtkSwitch   *sms_switch;
  GtkSwitch   *push_switch;
  GtkLabel    *error_label;
};

G_DEFINE_FINAL_TYPE (SkCustomerEditor, sk_customer_editor, ADW_TYPE_WINDOW)

enum { SAVED, N_SIGNALS };
static guint signals[N_SIGNALS];

static AdwEntryRow *
entry_row (AdwPreferencesGroup *group,
           const char          *title)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_group_add (group, row);
  return ADW_ENTRY_ROW (row);
}

static GtkSwitch *
switch_row (AdwPreferencesGroup *group,
            const char          *title)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();

  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  gtk_accessible_update_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_preferences_group_add (group, row);
  return GTK_SWITCH (sw);
}

void
sk_customer_editor_set_text (SkCustomerEditor *self,
                             const char       *field,
                             const char       *text)
{
  AdwEntryRow *row = NULL;

  g_return_if_fail (SK_IS_CUSTOMER_EDITOR (self));
  if (g_str_equal (field, "name"))
    row = self->name_row;
  else if (g_str_equal (field, "phone"))
    row = self->phone_row;
  else if (g_str_equal (field, "card"))
    row = self->card_row;
  else if (g_str_equal (field, "email"))
    row = self->email_row;
  else if (g_str_equal (field, "birth_date"))
    row = self->birth_row;
  else if (g_str_equal (field, "children"))
    row = self->children_row;
  g_return_if_fail (row != NULL);
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
}

static const char *
text_or_null (AdwEntryRow *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  return *text == '\0' ? NULL : text;
}

static void
mark_error (SkCustomerEditor *self,
            AdwEntryRow      *row)
{
  AdwEntryRow *rows[] = { self->name_row, self->phone_row, self->card_row, self->email_row,
                          self->birth_row, self->children_row };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (rows[i]), "error");
  if (row != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_grab_focus (GTK_WIDGET (row));
    }
}

gboolean
sk_customer_editor_save (SkCustomerEditor *self,
                         GError          **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *phone = NULL;
  const char *name = text_or_null (self->name_row);
  const char *phone_text = text_or_null (self->phone_row);
  const char *birth = text_or_null (self->birth_row);
  const char *children = text_or_null (self->children_row);
  AdwEntryRow *bad = NULL;
  gboolean ok;

  g_return_val_if_fail (SK_IS_CUSTOMER_EDITOR (self), FALSE);

  if (name == NULL)
    {
      g_set_error (&local, SK_ERROR, SK_ERROR_INVALID, _("Type the customer's name"));
      bad = self->name_row;
    }
  else if (phone_text == NULL && text_or_null (self->card_row) == NULL)
    {
      g_set_error (&local, SK_ERROR, SK_ERROR_INVALID, _("A customer needs a phone number or a card"));
      bad = self->phone_row;
    }
  else if (phone_text != NULL && (phone = sk_normalize_phone (phone_text, &local)) == NULL)
    bad = self->phone_row;
  else if (birth != NULL && !sk_date_is_valid (birth))
    {
      g_set_error (&local, SK_ERROR, SK_ERROR_INVALID, _("The birth date must look like 2015-06-30"));
      bad = self->birth_row;
    }

  if (local == NULL)
    {
      g_object_set (self->customer,
                    "full-name", name,
                    "phone", phone,
                    "card-number", text_or_null (self->card_row),
                    "email", text_or_null (self->email_row),
                    "birth-date", birth,
                    "consent-email", gtk_switch_get_active (self->email_switch),
                    "consent-sms", gtk_switch_get_active (self->sms_switch),
                    "consent-push", gtk_switch_get_active (self->push_switch),
                    NULL);
      g_list_store_remove_all (self->customer->children);
      if (children != NULL)
        {
          g_auto(GStrv) parts = g_strsplit (children, ";", -1);

          for (guint i = 0; parts[i] != NULL && local == NULL; i++)
            {
              g_autofree char *part = g_strstrip (g_strdup (parts[i]));
              char *space = strrchr (part, ' ');
              g_autoptr(SkChild) child = NULL;

              if (*part == '\0')
                continue;
              if (space == NULL || !sk_date_is_valid (space + 1))
                {
                  g_set_error (&local, SK_ERROR, SK_ERROR_INVALID,
                               _("Children: write “Name 2019-04-01”, separated by “;”"));
                  bad = self->children_row;
                  break;
                }
              *space = '\0';
              child = sk_child_new (g_strstrip (part), space + 1);
              g_list_store_append (self->customer->children, child);
            }
        }
    }

  if (local == NULL)
    {
      ok = self->is_new ? sk_database_create_customer (self->db, self->customer, &local)
                        : sk_database_update_customer (self->db, self->customer, &local);
      if (!ok)
        {
          const char *field = sk_error_get_field (local);

          bad = g_strcmp0 (field, "phone") == 0 ? self->phone_row
              : g_strcmp0 (field, "card_number") == 0 ? self->card_row
              : g_strcmp0 (field, "email") == 0 ? self->email_row
              : NULL;
          if (bad == NULL && g_error_matches (local, SK_ERROR, SK_ERROR_CONFLICT))
            bad = strstr (local->message, "card") ? self->card_row : self->phone_row;
        }
    }

  if (local != NULL)
    {
      gtk_label_set_text (self->error_label, local->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      mark_error (self, bad);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  mark_error (self, NULL);
  self->is_new = FALSE;
  g_signal_emit (self, signals[SAVED], 0, self->customer);
  return TRUE;
}

static void
save_clicked_cb (SkCustomerEditor *self)
{
  if (sk_customer_editor_save (self, NULL))
    gtk_window_destroy (GTK_WINDOW (self));
}

SkCustomerEditor *
sk_customer_editor_new (GtkWindow  *parent,
                        SkDatabase *db,
                        SkCustomer *customer)
{
  SkCustomerEditor *self = g_object_new (SK_TYPE_CUSTOMER_EDITOR,
                                         "transient-for", parent,
                                         "modal", TRUE,
                                         "default-width", 480,
                                         "default-height", 620,
                                         NULL);
  g_autoptr(GString) kids = g_string_new (NULL);

  self->db = g_object_ref (db);
  self->is_new = customer == NULL;
  self->customer = customer ? sk_record_copy (SK_RECORD (customer)) : sk_customer_new ();
  gtk_window_set_title (GTK_WINDOW (self), self->is_new ? _("New Customer") : _("Edit Customer"));
  if (!self->is_new)
    {
      SkCustomer *c = self->customer;

      gtk_editable_set_text (GTK_EDITABLE (self->name_row), c->full_name ? c->full_name : "");
      gtk_editable_set_text (GTK_EDITABLE (self->phone_row), c->phone ? c->phone : "");
      gtk_editable_set_text (GTK_EDITABLE (self->card_row), c->card_number ? c->card_number : "");
      gtk_editable_set_text (GTK_EDITABLE (self->email_row), c->email ? c->email : "");
      gtk_editable_set_text (GTK_EDITABLE (self->birth_row), c->birth_date ? c->birth_date : "");
      gtk_switch_set_active (self->email_switch, c->consent_email);
      gtk_switch_set_active (self->sms_switch, c->consent_sms);
      gtk_switch_set_active (self->push_switch, c->consent_push);
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (c->children)); i++)
        {
          g_autoptr(SkChild) child = g_list_model_get_item (G_LIST_MODEL (c->children), i);

          g_string_append_printf (kids, "%s%s %s", i ? "; " : "", child->name, child->birth_date);
        }
      gtk_editable_set_text (GTK_EDITABLE (self->children_row), kids->str);
    }
  return self;
}

static void
sk_customer_editor_dispose (GObject *object)
{
  SkCustomerEditor *self = SK_CUSTOMER_EDITOR (object);

  g_clear_object (&self->db);
  g_clear_object (&self->customer);
  G_OBJECT_CLASS (sk_customer_editor_parent_class)->dispose (object);
}

static void
sk_customer_editor_class_init (SkCustomerEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_customer_editor_dispose;
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 1, SK_TYPE_CUSTOMER);
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sk_customer_editor_init (SkCustomerEditor *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *save = gtk_button_new_with_mnemonic (_("_Save"));
  GtkWidget *page = adw_preferences_page_new ();
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *consent = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  gtk_widget_add_css_class (save, "suggested-action");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), save);
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_destroy), self);
  g_signal_connect_swapped (save, "clicked", G_CALLBACK (save_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), header);

  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_margin_top (GTK_WIDGET (self->error_label), 12);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_label));

  adw_preferences_group_set_title (group, _("Profile"));
  self->name_row = entry_row (group, _("Full name"));
  self->phone_row = entry_row (group, _("Phone (+7…)"));
  self->card_row = entry_row (group, _("Card number"));
  self->email_row = entry_row (group, _("Email"));
  self->birth_row = entry_row (group, _("Birth date (YYYY-MM-DD)"));
  self->children_row = entry_row (group, _("Children (Name 2019-04-01; …)"));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), group);

  adw_preferences_group_set_title (consent, _("Consent to messages"));
  self->email_switch = switch_row (consent, _("Email"));
  self->sms_switch = switch_row (consent, _("SMS"));
  self->push_switch = switch_row (consent, _("Push notifications"));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), consent);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (self), box);
  gtk_window_set_default_widget (GTK_WINDOW (self), save);
}
