/* sk-template-editor.c: the notification texts per event and language:
 * the subject and the text with their {placeholders}, a preview rendered
 * by the store's own function as one types, and a save with the version
 * check; the store's refusal (an unknown placeholder, a stale version) is
 * shown in place.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-error.h"
#include "sk-notifications.h"
#include "sk-template-editor.h"
#include "sk-widgets.h"

struct _SkTemplateEditor
{
  AdwPreferencesGroup parent_instance;

  AdwComboRow   *event_row;
  AdwComboRow   *language_row;
  AdwEntryRow   *subject_row;
  GtkTextBuffer *body_buffer;
  GtkWidget     *body_view;
  GtkLabel      *preview_subject;
  GtkLabel      *preview_body;
  GtkLabel      *error_label;
  GtkLabel      *saved_label;
  GtkWidget     *save_button;

  GCancellable *load_cancellable; /* while a template is read */
  GCancellable *cancellable;      /* saves */
  gint64        version;          /* of the template shown; 0: none stored */
  gboolean      saving;
  gboolean      selecting; /* the rows are being set, not chosen */
};

G_DEFINE_FINAL_TYPE (SkTemplateEditor, sk_template_editor, ADW_TYPE_PREFERENCES_GROUP)

/* In the order of the rows' items. */
static const char *const events[] = { "campaign", "bonus_earned", "birthday" };
static const char *const languages[] = { "ru", "en" };

static const char *
current_event (SkTemplateEditor *self)
{
  return events[MIN (adw_combo_row_get_selected (self->event_row), G_N_ELEMENTS (events) - 1)];
}

static const char *
current_language (SkTemplateEditor *self)
{
  return languages[MIN (adw_combo_row_get_selected (self->language_row),
                        G_N_ELEMENTS (languages) - 1)];
}

static char *
body_text (SkTemplateEditor *self)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (self->body_buffer, &start, &end);
  return gtk_text_buffer_get_text (self->body_buffer, &start, &end, FALSE);
}

/* The template as typed. */
static SkNotificationTemplate *
typed_template (SkTemplateEditor *self)
{
  SkNotificationTemplate *t = g_new0 (SkNotificationTemplate, 1);

  t->event = g_strdup (current_event (self));
  t->language = g_strdup (current_language (self));
  t->subject = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->subject_row)));
  t->body = body_text (self);
  t->version = self->version;
  return t;
}

/* The preview with made-up values, and the store's objection, if any. */
static void
update_preview (SkTemplateEditor *self)
{
  g_autoptr (SkNotificationTemplate) t = typed_template (self);
  g_autoptr (GHashTable) values = sk_notification_sample_values ();
  g_autofree char *subject = sk_notification_render (t->subject, values);
  g_autofree char *body = sk_notification_render (t->body, values);
  g_autoptr (GError) error = NULL;

  gtk_label_set_text (self->preview_subject, subject);
  gtk_label_set_text (self->preview_body, body);
  gtk_widget_set_visible (GTK_WIDGET (self->saved_label), FALSE);
  if (self->selecting)
    return;
  sk_notification_template_validate (t, &error);
  sk_error_label_set (self->error_label, error ? error->message : NULL);
}

static void
set_inputs_sensitive (SkTemplateEditor *self, gboolean sensitive)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->subject_row), sensitive);
  gtk_widget_set_sensitive (self->body_view, sensitive);
  gtk_widget_set_sensitive (self->save_button, sensitive && !self->saving);
}

static void
template_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkTemplateEditor *self;
  g_autoptr (SkNotificationTemplate) t = NULL;
  g_autoptr (GError) error = NULL;

  t = sk_repository_get_notification_template_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_TEMPLATE_EDITOR (user_data);
  g_clear_object (&self->load_cancellable);
  set_inputs_sensitive (self, TRUE);
  /* None stored yet for this language: one is written from scratch. */
  if (t == NULL && !g_error_matches (error, SK_ERROR, SK_ERROR_NOT_FOUND))
    {
      sk_error_label_set (self->error_label, error->message);
      return;
    }
  self->version = t ? t->version : 0;
  self->selecting = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->subject_row), t ? t->subject : "");
  gtk_text_buffer_set_text (self->body_buffer, t ? t->body : "", -1);
  self->selecting = FALSE;
  update_preview (self);
  sk_error_label_set (self->error_label, NULL);
}

static void
load (SkTemplateEditor *self)
{
  SkRepository *repository = sk_app_repository ();

  sk_cancellable_clear (&self->load_cancellable);
  if (repository == NULL)
    return;
  self->load_cancellable = g_cancellable_new ();
  set_inputs_sensitive (self, FALSE);
  sk_repository_get_notification_template_async (repository, current_event (self),
                                                 current_language (self), self->load_cancellable,
                                                 template_loaded_cb, self);
}

void
sk_template_editor_select (SkTemplateEditor *self, const char *event, const char *language)
{
  g_return_if_fail (SK_IS_TEMPLATE_EDITOR (self));

  self->selecting = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    if (g_strcmp0 (event, events[i]) == 0)
      adw_combo_row_set_selected (self->event_row, i);
  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    if (g_strcmp0 (language, languages[i]) == 0)
      adw_combo_row_set_selected (self->language_row, i);
  self->selecting = FALSE;
  load (self);
}

static void
choice_changed_cb (SkTemplateEditor *self)
{
  if (!self->selecting)
    load (self);
}

gboolean
sk_template_editor_get_loading (SkTemplateEditor *self)
{
  g_return_val_if_fail (SK_IS_TEMPLATE_EDITOR (self), FALSE);
  return self->load_cancellable != NULL;
}

void
sk_template_editor_set_subject (SkTemplateEditor *self, const char *subject)
{
  g_return_if_fail (SK_IS_TEMPLATE_EDITOR (self));
  gtk_editable_set_text (GTK_EDITABLE (self->subject_row), subject);
}

void
sk_template_editor_set_body (SkTemplateEditor *self, const char *body)
{
  g_return_if_fail (SK_IS_TEMPLATE_EDITOR (self));
  gtk_text_buffer_set_text (self->body_buffer, body, -1);
}

const char *
sk_template_editor_get_preview_subject (SkTemplateEditor *self)
{
  g_return_val_if_fail (SK_IS_TEMPLATE_EDITOR (self), NULL);
  return gtk_label_get_text (self->preview_subject);
}

const char *
sk_template_editor_get_preview_body (SkTemplateEditor *self)
{
  g_return_val_if_fail (SK_IS_TEMPLATE_EDITOR (self), NULL);
  return gtk_label_get_text (self->preview_body);
}

const char *
sk_template_editor_get_error (SkTemplateEditor *self)
{
  g_return_val_if_fail (SK_IS_TEMPLATE_EDITOR (self), NULL);
  return sk_error_label_get (self->error_label);
}

static void
template_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SkTemplateEditor *self = g_task_get_source_object (task);
  g_autoptr (SkNotificationTemplate) saved = NULL;
  g_autoptr (GError) error = NULL;

  saved = sk_repository_save_notification_template_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  self->saving = FALSE;
  set_inputs_sensitive (self, TRUE);
  if (saved == NULL)
    {
      sk_error_label_set (self->error_label, error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Saved as shown, unless another language or event was chosen meanwhile. */
  if (g_str_equal (saved->event, current_event (self))
      && g_str_equal (saved->language, current_language (self)))
    self->version = saved->version;
  sk_error_label_set (self->error_label, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->saved_label), TRUE);
  g_task_return_boolean (task, TRUE);
}

void
sk_template_editor_save_async (SkTemplateEditor   *self,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (SkNotificationTemplate) t = NULL;

  g_return_if_fail (SK_IS_TEMPLATE_EDITOR (self));
  task = sk_save_task_new (
      self, sk_template_editor_save_async,
      self->saving || self->load_cancellable != NULL || sk_app_repository () == NULL,
      _ ("The template is being read or saved"), cancellable, callback, user_data);
  if (task == NULL)
    return;
  t = typed_template (self);
  self->saving = TRUE;
  set_inputs_sensitive (self, TRUE);
  sk_repository_save_notification_template_async (sk_app_repository (), t, self->cancellable,
                                                  template_saved_cb, g_steal_pointer (&task));
}

gboolean
sk_template_editor_save_finish (SkTemplateEditor *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
save_clicked_cb (SkTemplateEditor *self)
{
  sk_template_editor_save_async (self, NULL, NULL, NULL);
}

GtkWidget *
sk_template_editor_new (void)
{
  return g_object_new (SK_TYPE_TEMPLATE_EDITOR, NULL);
}

static void
sk_template_editor_dispose (GObject *object)
{
  SkTemplateEditor *self = SK_TEMPLATE_EDITOR (object);

  sk_cancellable_clear (&self->load_cancellable);
  sk_cancellable_clear (&self->cancellable);
  G_OBJECT_CLASS (sk_template_editor_parent_class)->dispose (object);
}

static void
sk_template_editor_class_init (SkTemplateEditorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sk_template_editor_dispose;
}

static GtkLabel *
wrapped_label (const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return GTK_LABEL (label);
}

static AdwComboRow *
combo_row (AdwPreferencesGroup *group, const char *title, const char *const *items)
{
  GtkWidget *row = adw_combo_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (gtk_string_list_new (items)));
  adw_preferences_group_add (group, row);
  return ADW_COMBO_ROW (row);
}

static void
sk_template_editor_init (SkTemplateEditor *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (self);
  const char *const    event_names[] = { sk_notification_event_display_name (events[0]),
                                         sk_notification_event_display_name (events[1]),
                                         sk_notification_event_display_name (events[2]), NULL };
  const char *const    language_names[] = { _ ("Russian"), _ ("English"), NULL };
  GtkWidget           *box, *scroller, *caption, *buttons;

  self->cancellable = g_cancellable_new ();
  adw_preferences_group_set_title (group, _ ("Message Templates"));
  adw_preferences_group_set_description (
      group, _ ("Placeholders: {name}, {child}, {age}, {amount}, {balance}, {store}, "
                "{campaign}, {description}"));

  self->event_row = combo_row (group, _ ("Message"), event_names);
  self->language_row = combo_row (group, _ ("Language"), language_names);
  self->subject_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->subject_row), _ ("Subject"));
  adw_preferences_group_add (group, GTK_WIDGET (self->subject_row));

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_top (box, 12);
  caption = gtk_label_new (_ ("Text"));
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_widget_add_css_class (caption, "heading");
  gtk_box_append (GTK_BOX (box), caption);
  self->body_view = gtk_text_view_new ();
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (self->body_view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (self->body_view), 8);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (self->body_view), 8);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (self->body_view), 8);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (self->body_view), 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->body_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Text"), -1);
  self->body_buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->body_view));
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->body_view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 90);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_add_css_class (scroller, "card");
  gtk_box_append (GTK_BOX (box), scroller);

  self->error_label = wrapped_label ("error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_label));

  caption = gtk_label_new (_ ("Preview"));
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_widget_add_css_class (caption, "heading");
  gtk_box_append (GTK_BOX (box), caption);
  self->preview_subject = wrapped_label ("heading");
  self->preview_body = wrapped_label (NULL);
  {
    GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

    gtk_widget_add_css_class (card, "card");
    gtk_widget_set_margin_bottom (card, 6);
    for (GtkWidget *w = GTK_WIDGET (self->preview_subject); w != NULL;
         w = w == GTK_WIDGET (self->preview_subject) ? GTK_WIDGET (self->preview_body) : NULL)
      {
        gtk_widget_set_margin_start (w, 12);
        gtk_widget_set_margin_end (w, 12);
        gtk_box_append (GTK_BOX (card), w);
      }
    gtk_widget_set_margin_top (GTK_WIDGET (self->preview_subject), 12);
    gtk_widget_set_margin_bottom (GTK_WIDGET (self->preview_body), 12);
    gtk_box_append (GTK_BOX (box), card);
  }

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  self->saved_label = wrapped_label ("dim-label");
  gtk_label_set_text (self->saved_label, _ ("Template saved"));
  gtk_widget_set_visible (GTK_WIDGET (self->saved_label), FALSE);
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->saved_label));
  self->save_button = gtk_button_new_with_mnemonic (_ ("Save _Template"));
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (save_clicked_cb), self);
  gtk_box_append (GTK_BOX (buttons), self->save_button);
  gtk_box_append (GTK_BOX (box), buttons);
  adw_preferences_group_add (group, box);

  g_signal_connect_swapped (self->event_row, "notify::selected", G_CALLBACK (choice_changed_cb),
                            self);
  g_signal_connect_swapped (self->language_row, "notify::selected", G_CALLBACK (choice_changed_cb),
                            self);
  g_signal_connect_swapped (self->subject_row, "changed", G_CALLBACK (update_preview), self);
  g_signal_connect_swapped (self->body_buffer, "changed", G_CALLBACK (update_preview), self);
  load (self);
}
