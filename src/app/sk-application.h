/* sk-application.h: the Skidka application: settings, repository, role.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-background-sync.h"
#include "sk-repository.h"
#include "sk-role.h"

G_BEGIN_DECLS

#define SK_TYPE_APPLICATION (sk_application_get_type ())
G_DECLARE_FINAL_TYPE (SkApplication, sk_application, SK, APPLICATION, AdwApplication)

/* @db_path: NULL for the user data dir (or $SKIDKA_DB). */
SkApplication *sk_application_new (const char *db_path);
/* Every database call of the app goes through it. */
SkRepository *sk_application_get_repository (SkApplication *self);
/* The till's sync with HQ (not connected on a stand-alone till). */
SkBackgroundSync *sk_application_get_sync (SkApplication *self);
const char       *sk_application_get_db_path (SkApplication *self);
GSettings        *sk_application_get_settings (SkApplication *self);
SkRole            sk_application_get_role (SkApplication *self);
/* The store this till is set to sell in, or NULL for the first store (see
 * sk_repository_get_store_async). */
char *sk_application_dup_store_id (SkApplication *self);
/* The store of the account this app signed in with, when it is a store's
 * (its role and store taken from HQ), or NULL: that store is the only one
 * the account may act for. */
char *sk_application_dup_account_store_id (SkApplication *self);

/* Role checks used by the views to hide or disable what a role may not do. */

G_END_DECLS
