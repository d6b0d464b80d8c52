/* sk-application.c: the application object: settings, the local database,
 * the current role and the app-wide actions (preferences, shortcuts, about).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "sk-application.h"
#include "sk-background-sync.h"
#include "sk-connect.h"
#include "sk-preferences-window.h"
#include "sk-widgets.h"
#include "sk-window.h"

struct _SkApplication
{
  AdwApplication parent_instance;

  char             *db_path;
  SkRepository     *repository;
  GSettings        *settings;
  SkBackgroundSync *sync;
};

G_DEFINE_FINAL_TYPE (SkApplication, sk_application, ADW_TYPE_APPLICATION)

enum
{
  PROP_0,
  PROP_DB_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
default_db_path (void)
{
  const char      *env = g_getenv ("SKIDKA_DB");
  g_autofree char *dir = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  dir = g_build_filename (g_get_user_data_dir (), "skidka", NULL);
  g_mkdir_with_parents (dir, 0700);
  return g_build_filename (dir, "skidka.db", NULL);
}

SkApplication *
sk_application_new (const char *db_path)
{
  return g_object_new (SK_TYPE_APPLICATION, "application-id", APPLICATION_ID, "flags",
                       G_APPLICATION_NON_UNIQUE, "resource-base-path", "/org/skidka/Skidka",
                       "db-path", db_path, NULL);
}

SkRepository *
sk_application_get_repository (SkApplication *self)
{
  g_return_val_if_fail (SK_IS_APPLICATION (self), NULL);
  return self->repository;
}

const char *
sk_application_get_db_path (SkApplication *self)
{
  g_return_val_if_fail (SK_IS_APPLICATION (self), NULL);
  return self->db_path;
}

SkBackgroundSync *
sk_application_get_sync (SkApplication *self)
{
  g_return_val_if_fail (SK_IS_APPLICATION (self), NULL);
  return self->sync;
}

GSettings *
sk_application_get_settings (SkApplication *self)
{
  g_return_val_if_fail (SK_IS_APPLICATION (self), NULL);
  return self->settings;
}

SkRole
sk_application_get_role (SkApplication *self)
{
  g_autofree char *role = NULL;

  g_return_val_if_fail (SK_IS_APPLICATION (self), SK_ROLE_CASHIER);
  role = g_settings_get_string (self->settings, "role");
  return sk_role_from_string (role);
}

char *
sk_application_dup_store_id (SkApplication *self)
{
  g_autofree char *id = NULL;

  g_return_val_if_fail (SK_IS_APPLICATION (self), NULL);
  id = g_settings_get_string (self->settings, "store-id");
  return *id != '\0' ? g_steal_pointer (&id) : NULL;
}

char *
sk_application_dup_account_store_id (SkApplication *self)
{
  g_autofree char *id = NULL;

  g_return_val_if_fail (SK_IS_APPLICATION (self), NULL);
  if (!g_settings_get_boolean (self->settings, "role-from-account"))
    return NULL;
  id = g_settings_get_string (self->settings, "account-store-id");
  return *id != '\0' ? g_steal_pointer (&id) : NULL;
}

static void
sk_application_activate (GApplication *app)
{
  SkApplication *self = SK_APPLICATION (app);
  GtkWindow     *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (sk_window_new (self));
  gtk_window_present (window);
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SkApplication       *self = user_data;
  GtkWindow           *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  SkPreferencesWindow *prefs = sk_preferences_window_new (self);

  gtk_window_set_transient_for (GTK_WINDOW (prefs), parent);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SkApplication     *self = user_data;
  static const char *developers[] = { "The Skidka authors", NULL };
  GtkWindow         *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (parent, "application-name", _ ("Skidka"), "application-icon",
                         APPLICATION_ID, "developer-name", _ ("The Skidka authors"), "version",
                         PACKAGE_VERSION, "comments",
                         _ ("Discounts and loyalty bonuses for a chain of children's goods stores"),
                         "license-type", GTK_LICENSE_GPL_3_0, "developers", developers,
                         /* Translators: put your names here */
                         "translator-credits", _ ("translator-credits"), NULL);
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  GList          *windows = gtk_application_get_windows (app);

  while (windows != NULL)
    {
      GList *next = windows->next;

      gtk_window_destroy (windows->data);
      windows = next;
    }
  g_application_quit (G_APPLICATION (app));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_action },
  { "about", about_action },
  { "quit", quit_action },
};

/* glibc serves a block of 128 KiB or more with a mapping of its own, but
 * raises that threshold to the size of any such block freed (up to 32 MiB),
 * and smaller blocks come from the heap, which keeps the pages they touched
 * while a neighbour lives. The GL driver allocates and frees many blocks of
 * tens of KiB on every frame (llvmpipe, the software one, at least), and
 * calloc()s buffers it fills only in part. A fixed, lower threshold keeps
 * them mappings: resident only while in use, and only the pages written.
 * 16 KiB saved the most; lower saved no more and cost time. */
#define MMAP_THRESHOLD (16 * 1024)

static void
tune_malloc (void)
{
#ifdef __GLIBC__
  mallopt (M_MMAP_THRESHOLD, MMAP_THRESHOLD);
#endif
}

static void
sk_application_startup (GApplication *app)
{
  SkApplication     *self = SK_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };

  /* Before the window and its GL context start their threads. */
  tune_malloc ();
  G_APPLICATION_CLASS (sk_application_parent_class)->startup (app);
  /* The windows' icon (X11 shows it), from the theme or, run from the
   * build tree, from the resource's icons/. */
  gtk_window_set_default_icon_name (APPLICATION_ID);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  sk_connect_setup (self);
}

static void
sk_application_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkApplication *self = SK_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_DB_PATH:
      g_value_set_string (value, self->db_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_application_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SkApplication *self = SK_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_DB_PATH:
      g_free (self->db_path);
      self->db_path = g_value_dup_string (value);
      if (self->db_path == NULL)
        self->db_path = default_db_path ();
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_application_constructed (GObject *object)
{
  SkApplication *self = SK_APPLICATION (object);

  G_OBJECT_CLASS (sk_application_parent_class)->constructed (object);
  if (self->db_path == NULL)
    self->db_path = default_db_path ();
  /* Opens nothing yet: the window's first question opens the file. */
  self->repository = sk_repository_new (self->db_path);
  self->sync = sk_background_sync_new (self->repository, self->db_path);
}

static void
sk_application_finalize (GObject *object)
{
  SkApplication *self = SK_APPLICATION (object);

  g_clear_object (&self->sync);
  g_clear_object (&self->repository);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->db_path, g_free);
  G_OBJECT_CLASS (sk_application_parent_class)->finalize (object);
}

/* --version answers before the window: for packagers' scripts and help2man. */
static int
sk_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("skidka %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
sk_application_class_init (SkApplicationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->constructed = sk_application_constructed;
  object_class->finalize = sk_application_finalize;
  object_class->get_property = sk_application_get_property;
  object_class->set_property = sk_application_set_property;
  app_class->activate = sk_application_activate;
  app_class->startup = sk_application_startup;
  app_class->handle_local_options = sk_application_handle_local_options;

  properties[PROP_DB_PATH]
      = g_param_spec_string ("db-path", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sk_application_init (SkApplication *self)
{
  g_application_add_main_option (G_APPLICATION (self), "version", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE, _ ("Print the version and exit"), NULL);
  self->settings = g_settings_new (APPLICATION_ID);
  sk_app_set_default (self);
}
