/* sk-application.h: the Skidka application: settings, database, role.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-database.h"
#include "sk-role.h"

G_BEGIN_DECLS

#define SK_TYPE_APPLICATION (sk_application_get_type ())
G_DECLARE_FINAL_TYPE (SkApplication, sk_application, SK, APPLICATION, AdwApplication)

/* @db_path: NULL for the user data dir (or $SKIDKA_DB). */
SkApplication *sk_application_new           (const char    *db_path);
SkDatabase    *sk_application_get_database  (SkApplication *self);
const char    *sk_application_get_db_path   (SkApplication *self);
GSettings     *sk_application_get_settings  (SkApplication *self);
SkRole         sk_application_get_role      (SkApplication *self);
/* The store of this till: the setting, or the first store; NULL if none. */
SkStore       *sk_application_dup_store     (SkApplication *self);
/* Opens a second connection to the same file, for a worker thread. */
SkDatabase    *sk_application_open_worker_database (SkApplication *self,
                                                    GError       **error);

/* Swaps the database file for @new_path (moved over the current one) and
 * reopens it; bumps the generation so workers reopen their connections. */
gboolean       sk_application_replace_database (SkApplication *self,
                                                const char    *new_path,
                                                GError       **error);
guint          sk_application_get_generation (SkApplication *self);

/* Role checks used by the views to hide or disable what a role may not do. */

G_END_DECLS
