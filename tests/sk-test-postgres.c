/* sk-test-postgres.c: a new database on the test PostgreSQL server (or in a file without one).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libpq-fe.h>

#include "sk-test-postgres.h"

char *
sk_test_postgres_database (void)
{
  const char      *server = g_getenv ("SKIDKA_TEST_POSTGRES");
  g_autofree char *uuid = NULL;
  g_autofree char *create = NULL;
  PGconn          *pg;
  PGresult        *result;

  if (server == NULL || *server == '\0')
    return NULL;
  uuid = g_uuid_string_random ();
  g_strdelimit (uuid, "-", '_');
  create = g_strdup_printf ("CREATE SCHEMA test_%s", uuid);
  pg = PQconnectdb (server);
  g_assert_cmpint (PQstatus (pg), ==, CONNECTION_OK);
  result = PQexec (pg, create);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  PQfinish (pg);
  return g_strdup_printf ("%s%coptions=-csearch_path%%3Dtest_%s", server,
                          strchr (server, '?') != NULL ? '&' : '?', uuid);
}

char *
sk_test_database_location (const char *dir, const char *name)
{
  char *uri = sk_test_postgres_database ();

  return uri != NULL ? uri : g_build_filename (dir, name, NULL);
}

SkDatabase *
sk_test_open_hq (const char *tmp_template, char **dir, char **location)
{
  g_autoptr (GError) error = NULL;
  SkDatabase *db;

  *dir = g_dir_make_tmp (tmp_template, &error);
  g_assert_no_error (error);
  *location = sk_test_database_location (*dir, "hq.db");
  db = sk_database_open (*location, &error);
  g_assert_no_error (error);
  g_test_message ("HQ's backend: %s", sk_database_get_backend_name (db));
  return db;
}
