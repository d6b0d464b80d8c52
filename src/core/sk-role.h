/* sk-role.h: who a person at a till or at HQ is, and what each role may do.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Flags, so that a set of roles (who may call an endpoint) is one value. */
typedef enum
{
  SK_ROLE_NONE = 0,
  SK_ROLE_CASHIER = 1 << 0,
  SK_ROLE_MANAGER = 1 << 1,
  SK_ROLE_MARKETING = 1 << 2,
  SK_ROLE_ADMIN = 1 << 3,
} SkRole;

#define SK_ROLES_ALL   (SK_ROLE_ADMIN | SK_ROLE_MARKETING | SK_ROLE_MANAGER | SK_ROLE_CASHIER)
#define SK_ROLES_HQ    (SK_ROLE_ADMIN | SK_ROLE_MARKETING)
#define SK_ROLES_STORE (SK_ROLE_MANAGER | SK_ROLE_CASHIER)

/* "admin", "marketing", "manager", "cashier"; anything else is NONE. */
SkRole      sk_role_from_string (const char *name);
const char *sk_role_to_string (SkRole role);

gboolean sk_role_can_sell (SkRole role);
gboolean sk_role_can_adjust_bonus (SkRole role);
gboolean sk_role_can_refund (SkRole role);
gboolean sk_role_can_edit_rules (SkRole role);
gboolean sk_role_can_see_charts (SkRole role);
gboolean sk_role_can_reset_data (SkRole role);

G_END_DECLS
