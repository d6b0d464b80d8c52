/* sk-customer-editor.c: register or edit a customer; the store validates
 * (phone format, unique card and phone) and the message is shown in place.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-conflict-dialog.h"
#include "sk-customer-editor.h"
#include "sk-record-editor.h"
#include "sk-error.h"
#include "sk-widgets.h"

struct _SkCustomerEditor
{
  SkRecordEditor parent_instance;

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

G_DEFINE_FINAL_TYPE (SkCustomerEditor, sk_customer_editor, SK_TYPE_RECORD_EDITOR)

/* The copy being edited. */
static SkCustomer *
customer_of (SkCustomerEditor *self)
{
  return sk_record_editor_get_record (SK_RECORD_EDITOR (self));
}

void
sk_customer_editor_set_text (SkCustomerEditor *self, const char *field, const char *text)
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
  sk_entry_row_set_text (row, text);
}

void
sk_customer_editor_set_home_store (SkCustomerEditor *self, const char *store_id)
{
  g_return_if_fail (SK_IS_CUSTOMER_EDITOR (self));
  if (sk_record_editor_get_is_new (SK_RECORD_EDITOR (self)))
    g_object_set (customer_of (self), "home-store-id", store_id, NULL);
}

static const char *
text_or_null (AdwEntryRow *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  return *text == '\0' ? NULL : text;
}

static void
mark_error (SkCustomerEditor *self, AdwEntryRow *row)
{
  AdwEntryRow *rows[] = { self->name_row,  self->phone_row, self->card_row,
                          self->email_row, self->birth_row, self->children_row };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (rows[i]), "error");
  if (row != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_grab_focus (GTK_WIDGET (row));
    }
}

/* Every problem of the form at once: each bad row marked, the messages one
 * a line, the first bad row focused. */
typedef struct
{
  GString     *messages;
  AdwEntryRow *first;
} Problems;

static void
problem (SkCustomerEditor *self, Problems *p, AdwEntryRow *row, const char *message)
{
  if (p->messages->len > 0)
    g_string_append_c (p->messages, '\n');
  g_string_append (p->messages, message);
  gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  if (p->first == NULL)
    p->first = row;
}

/* An ISO date (2015-06-30) that is not after today. */
static gboolean
date_not_future (const char *date)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  return strcmp (date, today) <= 0;
}

static void
holder_found_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkCustomer) holder = NULL;
  g_autoptr (GError) error = NULL;
  SkCustomerEditor *self;
  g_autofree char  *message = NULL;
  const char       *name, *phone;

  holder = sk_repository_lookup_customer_finish (SK_REPOSITORY (source), result, &error);
  if (holder == NULL)
    return; /* cancelled, or gone meanwhile: the store's message stays */
  self = SK_CUSTOMER_EDITOR (user_data);
  name = sk_record_get_string (holder, "full_name");
  phone = sk_record_get_string (holder, "phone");
  if (gtk_widget_has_css_class (GTK_WIDGET (self->card_row), "error"))
    message = g_strdup_printf (_ ("This card belongs to %s (%s) already"), name ? name : "—",
                               phone ? phone : "—");
  else
    message = g_strdup_printf (_ ("This phone belongs to %s (card %s) already"), name ? name : "—",
                               sk_record_get_string (holder, "card_number")
                                   ? sk_record_get_string (holder, "card_number")
                                   : "—");
  gtk_label_set_text (self->error_label, message);
}

/* The rows show the customer. */
static void
fill_form (SkRecordEditor *editor)
{
  SkCustomerEditor *self = SK_CUSTOMER_EDITOR (editor);
  g_autoptr (GString) kids = g_string_new (NULL);
  g_autofree char *birth = NULL;
  SkCustomer      *c = customer_of (self);
  GListModel      *children = sk_customer_get_children (c);

  sk_entry_row_set_text (self->name_row, sk_record_get_string (c, "full_name"));
  sk_entry_row_set_text (self->phone_row, sk_record_get_string (c, "phone"));
  sk_entry_row_set_text (self->card_row, sk_record_get_string (c, "card_number"));
  sk_entry_row_set_text (self->email_row, sk_record_get_string (c, "email"));
  birth = sk_date_display_from_iso (sk_record_get_string (c, "birth_date"));
  sk_entry_row_set_text (self->birth_row, birth);
  gtk_switch_set_active (self->email_switch, sk_record_get_boolean (c, "consent_email"));
  gtk_switch_set_active (self->sms_switch, sk_record_get_boolean (c, "consent_sms"));
  gtk_switch_set_active (self->push_switch, sk_record_get_boolean (c, "consent_push"));
  for (guint i = 0; i < g_list_model_get_n_items (children); i++)
    {
      g_autoptr (SkChild) child = g_list_model_get_item (children, i);
      g_autofree char *born = sk_date_display_from_iso (sk_record_get_string (child, "birth_date"));

      g_string_append_printf (kids, "%s%s %s", i ? "; " : "", sk_record_get_string (child, "name"),
                              born);
    }
  gtk_editable_set_text (GTK_EDITABLE (self->children_row), kids->str);
}

/* What the store refused, on the row it is about; who holds a card or a
 * phone, in words a cashier can act on. */
static void
show_error (SkRecordEditor *editor, const GError *error)
{
  SkCustomerEditor *self = SK_CUSTOMER_EDITOR (editor);
  const char       *field = error ? sk_error_get_field (error) : NULL;
  AdwEntryRow      *bad = g_strcmp0 (field, "phone") == 0         ? self->phone_row
                          : g_strcmp0 (field, "card_number") == 0 ? self->card_row
                          : g_strcmp0 (field, "email") == 0       ? self->email_row
                                                                  : NULL;

  if (bad == NULL && g_error_matches (error, SK_ERROR, SK_ERROR_CONFLICT))
    bad = strstr (error->message, "card") ? self->card_row : self->phone_row;
  sk_error_label_set (self->error_label, error ? error->message : NULL);
  mark_error (self, bad);
  if (g_error_matches (error, SK_ERROR, SK_ERROR_CONFLICT)
      && (bad == self->card_row || bad == self->phone_row))
    sk_repository_lookup_customer_async (
        sk_record_editor_get_repository (editor),
        sk_record_get_string (customer_of (self), bad == self->card_row ? "card_number" : "phone"),
        sk_record_editor_get_cancellable (editor), holder_found_cb, self);
}

static gboolean
read_form (SkRecordEditor *editor, GError **error)
{
  SkCustomerEditor *self = SK_CUSTOMER_EDITOR (editor);
  g_autoptr (GError) local = NULL;
  g_autofree char *phone = NULL;
  const char      *name = text_or_null (self->name_row);
  const char      *phone_text = text_or_null (self->phone_row);
  const char      *birth_text = text_or_null (self->birth_row);
  g_autofree char *birth = NULL;
  const char      *children = text_or_null (self->children_row);
  Problems         problems = { NULL, NULL };

  mark_error (self, NULL);
  problems.messages = g_string_new (NULL);
  if (name == NULL)
    problem (self, &problems, self->name_row, _ ("Type the customer's name"));
  if (phone_text == NULL && text_or_null (self->card_row) == NULL)
    problem (self, &problems, self->phone_row, _ ("A customer needs a phone number or a card"));
  if (phone_text != NULL && (phone = sk_normalize_phone (phone_text, &local)) == NULL)
    {
      problem (self, &problems, self->phone_row, local->message);
      g_clear_error (&local);
    }
  /* Typed as the locale writes dates (or in ISO), stored in ISO. */
  if (birth_text != NULL
      && (birth = sk_date_parse_kept (birth_text,
                                      sk_record_get_string (customer_of (self), "birth_date")))
             == NULL)
    {
      g_autofree char *example = sk_date_example (-30);
      g_autofree char *message = g_strdup_printf (_ ("The birth date must look like %s"), example);

      problem (self, &problems, self->birth_row, message);
    }
  else if (birth != NULL && !date_not_future (birth))
    problem (self, &problems, self->birth_row, _ ("The birth date cannot be in the future"));

  {
    g_autoptr (GListStore) kids = g_list_store_new (SK_TYPE_CHILD);
    g_auto (GStrv) parts = g_strsplit (children ? children : "", ";", -1);

    for (guint i = 0; parts[i] != NULL; i++)
      {
        g_autofree char *part = g_strstrip (g_strdup (parts[i]));
        /* The name, then the date from its first digit on: a date as the
         * locale writes it may hold spaces ("31. 12. 2026"). */
        char            *date = strpbrk (part, "0123456789");
        g_autofree char *born = NULL;
        g_autoptr (SkChild) child = NULL;

        if (*part == '\0')
          continue;
        if (date != NULL && date > part) /* a name before it */
          born = sk_date_parse (date);
        if (born == NULL)
          {
            g_autofree char *example = sk_date_example (-5);
            g_autofree char *message
                = g_strdup_printf (_ ("Children: write “Name %s”, separated by “;”"), example);

            problem (self, &problems, self->children_row, message);
            break;
          }
        if (!date_not_future (born))
          {
            problem (self, &problems, self->children_row,
                     _ ("A child's birth date cannot be in the future"));
            break;
          }
        *date = '\0';
        child = sk_child_new (g_strstrip (part), born);
        g_list_store_append (kids, child);
      }
    if (problems.first == NULL)
      {
        g_object_set (customer_of (self), "full-name", name, "phone", phone, "card-number",
                      text_or_null (self->card_row), "email", text_or_null (self->email_row),
                      "birth-date", birth, "consent-email",
                      gtk_switch_get_active (self->email_switch), "consent-sms",
                      gtk_switch_get_active (self->sms_switch), "consent-push",
                      gtk_switch_get_active (self->push_switch), NULL);
        sk_customer_set_children (customer_of (self), G_LIST_MODEL (kids));
      }
  }

  if (problems.first != NULL)
    {
      g_set_error_literal (error, SK_ERROR, SK_ERROR_INVALID, problems.messages->str);
      g_string_free (problems.messages, TRUE);
      sk_error_label_set (self->error_label, (*error)->message);
      gtk_widget_grab_focus (GTK_WIDGET (problems.first));
      return FALSE;
    }
  g_string_free (problems.messages, TRUE);
  /* The store checks the rest (unique phone and card) on a worker. */
  return TRUE;
}

SkCustomerEditor *
sk_customer_editor_new (GtkWindow *parent, SkRepository *repository, SkCustomer *customer)
{
  SkCustomerEditor *self = g_object_new (SK_TYPE_CUSTOMER_EDITOR, "transient-for", parent, NULL);
  SkCustomer       *copy = customer ? sk_record_copy (SK_RECORD (customer)) : sk_customer_new ();

  sk_record_editor_edit (SK_RECORD_EDITOR (self), repository, SK_RECORD (copy), customer == NULL);
  if (customer == NULL && sk_app () != NULL)
    {
      g_autofree char *store_id = sk_application_dup_store_id (sk_app ());

      /* Registered at this till: its store is the customer's. */
      if (store_id != NULL && *store_id != '\0')
        g_object_set (copy, "home-store-id", store_id, NULL);
    }
  if (customer != NULL)
    {
      gtk_window_set_title (GTK_WINDOW (self), _ ("Edit Customer"));
      fill_form (SK_RECORD_EDITOR (self));
    }
  return self;
}

static void
sk_customer_editor_class_init (SkCustomerEditorClass *klass)
{
  GtkWidgetClass      *widget_class = GTK_WIDGET_CLASS (klass);
  SkRecordEditorClass *editor_class = SK_RECORD_EDITOR_CLASS (klass);

  editor_class->busy_message = _ ("The customer is being saved");
  editor_class->read_form = read_form;
  editor_class->fill_form = fill_form;
  editor_class->show_error = show_error;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-customer-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, phone_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, card_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, email_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, birth_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, children_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, email_switch);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, sms_switch);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, push_switch);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, error_label);
}

static void
sk_customer_editor_init (SkCustomerEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sk_record_editor_set_error_label (SK_RECORD_EDITOR (self), self->error_label);
  sk_date_row_show_format (self->birth_row, -30);
  {
    g_autofree char *example = sk_date_example (-5);
    g_autofree char *title = g_strdup_printf (_ ("Children (Name %s; …)"), example);

    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->children_row), title);
  }
}
