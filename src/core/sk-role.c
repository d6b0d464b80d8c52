/* sk-role.c: role names and what each role may do (SPEC 2, roles).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-role.h"

static const struct
{
  SkRole      role;
  const char *name;
} role_names[] = {
  { SK_ROLE_ADMIN, "admin" },
  { SK_ROLE_MARKETING, "marketing" },
  { SK_ROLE_MANAGER, "manager" },
  { SK_ROLE_CASHIER, "cashier" },
};

SkRole
sk_role_from_string (const char *name)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (role_names); i++)
    if (g_str_equal (name, role_names[i].name))
      return role_names[i].role;
  return SK_ROLE_NONE;
}

const char *
sk_role_to_string (SkRole role)
{
  for (guint i = 0; i < G_N_ELEMENTS (role_names); i++)
    if (role_names[i].role == role)
      return role_names[i].name;
  return "none";
}

gboolean
sk_role_can_sell (SkRole role)
{
  return (role & (SK_ROLES_STORE | SK_ROLE_ADMIN)) != 0;
}

gboolean
sk_role_can_adjust_bonus (SkRole role)
{
  return (role & (SK_ROLE_MANAGER | SK_ROLE_ADMIN)) != 0;
}

/* A return undoes a sale: the store's manager decides it (SPEC 5: the
 * server's refund route takes the same roles). */
gboolean
sk_role_can_refund (SkRole role)
{
  return (role & (SK_ROLE_MANAGER | SK_ROLE_ADMIN)) != 0;
}

gboolean
sk_role_can_edit_rules (SkRole role)
{
  return (role & SK_ROLES_HQ) != 0;
}

gboolean
sk_role_can_see_charts (SkRole role)
{
  return role != SK_ROLE_NONE && role != SK_ROLE_CASHIER;
}

gboolean
sk_role_can_reset_data (SkRole role)
{
  return role == SK_ROLE_ADMIN;
}
