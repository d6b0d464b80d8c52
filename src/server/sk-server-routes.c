/* sk-server-routes.c: the REST API of SPEC section 5: the routes of every area, and finding a
 * request's. SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <string.h>

#include "sk-server-private.h"

/* Each area's routes, in the order they are matched and documented. */
static const struct
{
  const SkRoute *routes;
  const guint   *n_routes;
} areas[] = {
  { sk_server_accounts_routes, &sk_server_accounts_routes_n },
  { sk_server_customers_routes, &sk_server_customers_routes_n },
  { sk_server_records_routes, &sk_server_records_routes_n },
  { sk_server_products_routes, &sk_server_products_routes_n },
  { sk_server_pos_routes, &sk_server_pos_routes_n },
  { sk_server_analytics_routes, &sk_server_analytics_routes_n },
  { sk_server_sync_routes, &sk_server_sync_routes_n },
  { sk_server_notifications_routes, &sk_server_notifications_routes_n },
};

const SkRoute *
sk_server_routes (guint *n_routes)
{
  static SkRoute *all = NULL;
  static guint    n_all = 0;

  g_return_val_if_fail (n_routes != NULL, NULL);

  if (g_once_init_enter (&all))
    {
      GArray *table = g_array_new (FALSE, FALSE, sizeof (SkRoute));

      for (guint i = 0; i < G_N_ELEMENTS (areas); i++)
        g_array_append_vals (table, areas[i].routes, *areas[i].n_routes);
      n_all = table->len;
      g_once_init_leave (&all, (SkRoute *)g_array_free (table, FALSE));
    }
  *n_routes = n_all;
  return all;
}

/* Does @path match @pattern? Captured segments go to @args. */
static gboolean
pattern_match (const char *pattern, const char *path, GPtrArray *args)
{
  guint captured = args->len;

  while (*pattern != '\0' && *path != '\0')
    {
      if (*pattern == '*')
        {
          const char *end = strchr (path, '/');
          gsize       length = end ? (gsize)(end - path) : strlen (path);
          char       *arg;

          if (length == 0)
            break;
          arg = g_uri_unescape_segment (path, path + length, NULL);

          /* A segment that does not decode to UTF-8 matches nothing: no
           * answer of ours may quote it (on_request answers 400 first). */
          if (arg == NULL || !g_utf8_validate (arg, -1, NULL))
            {
              g_free (arg);
              break;
            }
          g_ptr_array_add (args, arg);
          path += length;
          pattern++;
        }
      else if (*pattern == *path)
        {
          pattern++;
          path++;
        }
      else
        break;
    }
  /* A trailing slash is the same endpoint (the seed lists /api/customers/). */
  if (*pattern == '\0' && (*path == '\0' || g_str_equal (path, "/")))
    return TRUE;
  g_ptr_array_set_size (args, captured);
  return FALSE;
}

const SkRoute *
sk_server_route_find (const char *method, const char *path, GPtrArray *args, gboolean *path_known)
{
  const SkRoute *routes;
  guint          n_routes;

  g_return_val_if_fail (method != NULL && path != NULL && args != NULL, NULL);

  routes = sk_server_routes (&n_routes);
  if (path_known != NULL)
    *path_known = FALSE;
  for (guint i = 0; i < n_routes; i++)
    {
      if (!pattern_match (routes[i].pattern, path, args))
        continue;
      if (g_str_equal (routes[i].method, method))
        return &routes[i];
      g_ptr_array_set_size (args, 0);
      if (path_known != NULL)
        *path_known = TRUE;
    }
  return NULL;
}
