/* sk-analytics.c: set-based SQL for the charts and the analytics API.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "sk-analytics.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-money.h"

/* A purchase's figures net of its returns: what was paid, the discount,
 * the bonuses earned and spent (sk_database_refund_purchase keeps what
 * returns took back). */
#define NET_FIGURES                                                                                \
  "subtotal - discount_total - refunded_total, discount_total - discount_refunded,"                \
  " bonus_earned - bonus_reversed, bonus_spent - bonus_returned"
/* 1 for a purchase, 0 for one wholly returned: that is no longer a sale,
 * as it is no longer a visit of its customer. */
#define KEPT "CASE WHEN status = 'refunded' THEN 0 ELSE 1 END"

/* Store filters travel as one JSON array parameter: NULL = every store. */
static char *
stores_param (const char *const *store_ids)
{
  if (store_ids == NULL || store_ids[0] == NULL)
    return NULL;
  return sk_strv_to_json ((char **)store_ids);
}

static gboolean
check_period (gint64 from, gint64 to, GError **error)
{
  if (from >= to)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "to", _ ("The period must end after it starts"));
      return FALSE;
    }
  return TRUE;
}

/* A day is a store's local calendar day, numbered from 1970-01-01: day D
 * of a store runs from its midnight of that date to the next (so a sale at
 * 01:30 in Moscow counts for that Moscow day). The cache keeps one row per
 * day and store; a store without a time zone keeps UTC days. */
#define DAY_USEC ((gint64)86400000000)

/* Distinct customers over a long busy period are estimated from per-day
 * HyperLogLog sketches (2^14 registers: about 0.8 % standard error); up to
 * this many purchases they are counted exactly. */
#define SKETCH_BITS 14
#define SKETCH_SIZE (1 << SKETCH_BITS)
#define EXACT_LIMIT 50000

static gint64
floor_day (gint64 usec)
{
  return usec >= 0 ? usec / DAY_USEC : -((-usec + DAY_USEC - 1) / DAY_USEC);
}

typedef struct
{
  char      *id;
  GTimeZone *tz;
} StoreZone;

static void
store_zone_free (gpointer data)
{
  StoreZone *zone = data;

  g_free (zone->id);
  g_time_zone_unref (zone->tz);
  g_free (zone);
}

/* The stores of @store_ids (NULL: every store) with their time zones. */
static GPtrArray *
store_zones (SkDatabase *db, const char *const *store_ids, GError **error)
{
  g_autoptr (GPtrArray) zones = g_ptr_array_new_with_free_func (store_zone_free);
  SkStmt  *stmt = sk_db_query (db, error, "SELECT id, timezone FROM stores ORDER BY id", NULL);
  gboolean has_row;

  if (stmt == NULL)
    return NULL;
  while (sk_db_step (db, stmt, &has_row, error) && has_row)
    {
      const char *id = sk_stmt_text (stmt, 0);
      const char *zone_name = sk_stmt_text (stmt, 1);
      StoreZone  *zone;

      if (store_ids != NULL && store_ids[0] != NULL && !g_strv_contains (store_ids, id))
        continue;
      zone = g_new0 (StoreZone, 1);
      zone->id = g_strdup (id);
      if (zone_name != NULL && *zone_name != '\0')
        zone->tz = g_time_zone_new_identifier (zone_name);
      if (zone->tz == NULL)
        zone->tz = g_time_zone_new_utc ();
      g_ptr_array_add (zones, zone);
    }
  sk_stmt_reset (stmt);
  if (error != NULL && *error != NULL)
    return NULL;
  return g_steal_pointer (&zones);
}

/* When day @day begins in @tz (microseconds since the epoch). */
static gint64
day_start (GTimeZone *tz, gint64 day)
{
  g_autoptr (GDateTime) date = g_date_time_new_from_unix_utc (day * 86400);
  g_autoptr (GDateTime) midnight
      = g_date_time_new (tz, g_date_time_get_year (date), g_date_time_get_month (date),
                         g_date_time_get_day_of_month (date), 0, 0, 0);

  return g_date_time_to_unix (midnight) * G_USEC_PER_SEC;
}

/* The day of @tz that @usec falls in. */
static gint64
local_day (GTimeZone *tz, gint64 usec)
{
  gint64 seconds
      = usec >= 0 ? usec / G_USEC_PER_SEC : -((-usec + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (seconds);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, tz);
  g_autoptr (GDateTime) date
      = g_date_time_new_utc (g_date_time_get_year (local), g_date_time_get_month (local),
                             g_date_time_get_day_of_month (local), 0, 0, 0);

  return g_date_time_to_unix (date) / 86400;
}

/* @sql over @zone's store on its day @day; its parameters are the day's
 * start, the next day's and the store id. */
static SkStmt *
query_store_day (SkDatabase *db, const StoreZone *zone, gint64 day, const char *sql, GError **error)
{
  return sk_db_query (db, error, sql, "iis", day_start (zone->tz, day),
                      day_start (zone->tz, day + 1), zone->id);
}

/* FNV-1a over the id, then MurmurHash3's finaliser to spread the bits. */
static guint64
hash_id (const char *id)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (const guchar *p = (const guchar *)id; *p != '\0'; p++)
    h = (h ^ *p) * G_GUINT64_CONSTANT (0x100000001b3);
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  h ^= h >> 33;
  return h;
}

static void
sketch_add (guint8 *registers, const char *id)
{
  guint64 h = hash_id (id);
  guint   index = h >> (64 - SKETCH_BITS);
  guint64 rest = (h << SKETCH_BITS) | (G_GUINT64_CONSTANT (1) << (SKETCH_BITS - 1));
  guint8  rank = __builtin_clzll (rest) + 1;

  if (rank > registers[index])
    registers[index] = rank;
}

static void
sketch_merge (guint8 *into, const guint8 *other)
{
  for (guint i = 0; i < SKETCH_SIZE; i++)
    into[i] = MAX (into[i], other[i]);
}

static gint64
sketch_estimate (const guint8 *registers)
{
  double m = SKETCH_SIZE;
  double sum = 0;
  guint  zeros = 0;
  double estimate;

  for (guint i = 0; i < SKETCH_SIZE; i++)
    {
      sum += ldexp (1.0, -registers[i]);
      zeros += registers[i] == 0;
    }
  estimate = (0.7213 / (1 + 1.079 / m)) * m * m / sum;
  /* Few customers: linear counting is the better estimate. */
  if (estimate <= 2.5 * m && zeros > 0)
    estimate = m * log (m / zeros);
  return (gint64)(estimate + 0.5);
}

typedef struct
{
  gint64      purchases;
  gint64      revenue;
  gint64      discounts;
  gint64      bonus_earned;
  gint64      bonus_spent;
  GHashTable *customers; /* set of ids */
  guint8     *sketch;
} DayStore;

static void
day_store_free (gpointer data)
{
  DayStore *ds = data;

  g_hash_table_unref (ds->customers);
  g_free (ds->sketch);
  g_free (ds);
}

typedef struct
{
  gint64 uses;
  gint64 discount;
  gint64 revenue;
} DayRule;

typedef struct
{
  gint64   paid;
  gboolean kept;
} DayPurchase;

/* The day's rule figures per store; @purchases maps the day's purchase ids
 * to what was paid for them, so no purchase is looked up again. */
static gboolean
build_day_rules (
    SkDatabase *db, gint64 day, GPtrArray *zones, GHashTable *purchases, GError **error)
{
  g_autoptr (GHashTable) rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  SkStmt        *stmt;
  gboolean       has_row;
  GHashTableIter iter;
  gpointer       key, value;

  for (guint z = 0; z < zones->len; z++)
    {
      const StoreZone *zone = g_ptr_array_index (zones, z);

      stmt = query_store_day (
          db, zone, day,
          "SELECT store_id, rule_id, purchase_id, amount - amount_refunded"
          " FROM discount_applications"
          " WHERE rule_id IN (SELECT id FROM discount_rules) AND created_at >= ? AND created_at < ?"
          " AND store_id = ?",
          error);
      if (stmt == NULL)
        return FALSE;
      while (sk_db_step (db, stmt, &has_row, error) && has_row)
        {
          g_autofree char *store_rule
              = g_strdup_printf ("%s\x1f%s", sk_stmt_text (stmt, 0), sk_stmt_text (stmt, 1));
          const DayPurchase *p = g_hash_table_lookup (purchases, sk_stmt_text (stmt, 2));
          DayRule           *r = g_hash_table_lookup (rules, store_rule);

          if (r == NULL)
            {
              r = g_new0 (DayRule, 1);
              g_hash_table_insert (rules, g_steal_pointer (&store_rule), r);
            }
          r->uses += p == NULL || p->kept;
          sk_money_add_saturating (&r->discount, sk_stmt_int64 (stmt, 3));
          sk_money_add_saturating (&r->revenue, p != NULL ? p->paid : 0);
        }
      sk_stmt_reset (stmt);
      if (error != NULL && *error != NULL)
        return FALSE;
    }

  g_hash_table_iter_init (&iter, rules);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const DayRule *r = value;
      g_auto (GStrv) parts = g_strsplit (key, "\x1f", 2);

      if (!sk_db_exec (
              db, error,
              "INSERT INTO daily_rule_stats (day, store_id, rule_id, uses, discount, revenue)"
              " VALUES (?, ?, ?, ?, ?, ?)",
              "issiii", day, parts[0], parts[1], r->uses, r->discount, r->revenue))
        return FALSE;
    }
  return TRUE;
}

/* Builds day @day's rows from its purchases (once; triggers drop them when
 * a purchase of the day changes). */
static gboolean
build_day (SkDatabase *db, gint64 day, GError **error)
{
  g_autoptr (GHashTable) stores
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, day_store_free);
  g_autoptr (GHashTable) purchases
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) zones = store_zones (db, NULL, error);
  SkStmt        *stmt;
  gboolean       has_row;
  GHashTableIter iter;
  gpointer       key, value;

  if (zones == NULL)
    return FALSE;
  /* Each store's own day. */
  for (guint z = 0; z < zones->len; z++)
    {
      const StoreZone *zone = g_ptr_array_index (zones, z);

      stmt = query_store_day (db, zone, day,
                              "SELECT store_id, customer_id, " NET_FIGURES ", id, " KEPT
                              " FROM purchases WHERE created_at >= ? AND created_at < ?"
                              " AND store_id = ?",
                              error);
      if (stmt == NULL)
        return FALSE;
      while (sk_db_step (db, stmt, &has_row, error) && has_row)
        {
          const char  *store_id = sk_stmt_text (stmt, 0);
          const char  *customer_id = sk_stmt_text (stmt, 1);
          DayStore    *ds = g_hash_table_lookup (stores, store_id);
          DayPurchase *p = g_new (DayPurchase, 1);

          if (ds == NULL)
            {
              ds = g_new0 (DayStore, 1);
              ds->customers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
              ds->sketch = g_malloc0 (SKETCH_SIZE);
              g_hash_table_insert (stores, g_strdup (store_id), ds);
            }
          p->paid = sk_stmt_int64 (stmt, 2);
          p->kept = sk_stmt_int64 (stmt, 7) != 0;
          g_hash_table_insert (purchases, g_strdup (sk_stmt_text (stmt, 6)), p);
          ds->purchases += p->kept;
          sk_money_add_saturating (&ds->revenue, sk_stmt_int64 (stmt, 2));
          sk_money_add_saturating (&ds->discounts, sk_stmt_int64 (stmt, 3));
          sk_money_add_saturating (&ds->bonus_earned, sk_stmt_int64 (stmt, 4));
          sk_money_add_saturating (&ds->bonus_spent, sk_stmt_int64 (stmt, 5));
          if (p->kept && customer_id != NULL && !g_hash_table_contains (ds->customers, customer_id))
            {
              g_hash_table_add (ds->customers, g_strdup (customer_id));
              sketch_add (ds->sketch, customer_id);
            }
        }
      sk_stmt_reset (stmt);
      if (error != NULL && *error != NULL)
        return FALSE;
    }

  if (!sk_db_exec (db, error, "INSERT INTO daily_stats_days (day) VALUES (?)", "i", day)
      || !build_day_rules (db, day, zones, purchases, error))
    return FALSE;
  g_hash_table_iter_init (&iter, stores);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      DayStore *ds = value;

      stmt = sk_db_query (db, error,
                          "INSERT INTO daily_stats (day, store_id, purchases, revenue, discounts,"
                          " bonus_earned, bonus_spent, customers, customers_sketch)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          "isiiiiii", day, (const char *)key, ds->purchases, ds->revenue,
                          ds->discounts, ds->bonus_earned, ds->bonus_spent,
                          (gint64)g_hash_table_size (ds->customers));
      if (stmt == NULL)
        return FALSE;
      sk_stmt_bind_blob (stmt, 9, ds->sketch, SKETCH_SIZE);
      if (!sk_db_step_done (db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

/* Makes sure every day in [first, last) has its rows. */
static gboolean
prepare_days (SkDatabase *db, gint64 first, gint64 last, GError **error)
{
  g_autoptr (GHashTable) ready = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  SkStmt  *stmt;
  gboolean has_row;

  if (first >= last)
    return TRUE;
  stmt = sk_db_query (db, error, "SELECT day FROM daily_stats_days WHERE day >= ? AND day < ?",
                      "ii", first, last);
  if (stmt == NULL)
    return FALSE;
  while (sk_db_step (db, stmt, &has_row, error) && has_row)
    {
      gint64 day = sk_stmt_int64 (stmt, 0);
      g_hash_table_add (ready, g_memdup2 (&day, sizeof day));
    }
  sk_stmt_reset (stmt);
  if (g_hash_table_size (ready) == (guint)(last - first))
    return TRUE;

  if (!sk_db_begin (db, error))
    return FALSE;
  for (gint64 day = first; day < last; day++)
    if (!g_hash_table_contains (ready, &day) && !build_day (db, day, error))
      {
        sk_db_rollback (db);
        return FALSE;
      }
  return sk_db_commit (db, error);
}

/* Narrows [from, to) to the time that has purchases at all, so an open
 * period ("since ever") costs no more than the data. FALSE: none there. */
static gboolean
clamp_to_data (SkDatabase *db, gint64 *from, gint64 *to, GError **error)
{
  gint64 first
      = sk_db_query_int (db, error, G_MAXINT64, "SELECT min (created_at) FROM purchases", NULL);
  gint64 last
      = sk_db_query_int (db, error, G_MININT64, "SELECT max (created_at) FROM purchases", NULL);

  if (first > last)
    return FALSE;
  *from = MAX (*from, first);
  *to = MIN (*to, last + 1);
  return *from < *to;
}

gboolean
sk_analytics_prepare (SkDatabase *db, gint64 from, gint64 to, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);

  if (!check_period (from, to, error))
    return FALSE;
  if (!clamp_to_data (db, &from, &to, error))
    return error == NULL || *error == NULL;
  /* A store's day is at most a day off UTC's. */
  return prepare_days (db, floor_day (from) - 1, floor_day (to - 1) + 2, error);
}

/* The whole days of @tz inside [from, to); the partial days at its ends
 * are [from, start of first) and [start of last, to). */
static void
split_period (GTimeZone *tz, gint64 from, gint64 to, gint64 *first_day, gint64 *last_day)
{
  gint64 day = local_day (tz, from);

  *first_day = day_start (tz, day) >= from ? day : day + 1;
  *last_day = local_day (tz, to);
  if (*last_day < *first_day)
    *last_day = *first_day;
}

/* Adds the purchases of [from, to) to @out and to @sketch. */
static gboolean
add_purchases (SkDatabase *db,
               gint64      from,
               gint64      to,
               const char *stores,
               SkSummary  *out,
               guint8     *sketch,
               GError    **error)
{
  SkStmt  *stmt;
  gboolean has_row;

  if (from >= to)
    return TRUE;
  stmt = sk_db_query (
      db, error,
      "SELECT customer_id, " NET_FIGURES ", " KEPT " FROM purchases"
      " WHERE created_at >= ?1 AND created_at < ?2"
      " AND (CAST (?3 AS TEXT) IS NULL OR CAST (?3 AS TEXT) LIKE '%\"' || store_id || '\"%')",
      "iis", from, to, stores);
  if (stmt == NULL)
    return FALSE;
  while (sk_db_step (db, stmt, &has_row, error) && has_row)
    {
      const char *customer_id = sk_stmt_text (stmt, 0);
      gboolean    kept = sk_stmt_int64 (stmt, 5) != 0;

      out->purchases += kept;
      sk_money_add_saturating (&out->revenue, sk_stmt_int64 (stmt, 1));
      sk_money_add_saturating (&out->discounts, sk_stmt_int64 (stmt, 2));
      sk_money_add_saturating (&out->bonus_earned, sk_stmt_int64 (stmt, 3));
      sk_money_add_saturating (&out->bonus_spent, sk_stmt_int64 (stmt, 4));
      if (kept && customer_id != NULL)
        sketch_add (sketch, customer_id);
    }
  sk_stmt_reset (stmt);
  return error == NULL || *error == NULL;
}

gboolean
sk_analytics_summary (SkDatabase        *db,
                      gint64             from,
                      gint64             to,
                      const char *const *store_ids,
                      SkSummary         *out,
                      GError           **error)
{
  g_autofree char   *stores = stores_param (store_ids);
  g_autofree guint8 *sketch = NULL;
  g_autoptr (GPtrArray) zones = NULL;
  SkStmt  *stmt;
  gboolean has_row;

  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  out->customers_exact = TRUE;
  if (!check_period (from, to, error))
    return FALSE;
  if (!clamp_to_data (db, &from, &to, error))
    return error == NULL || *error == NULL;
  zones = store_zones (db, store_ids, error);
  if (zones == NULL)
    return FALSE;

  /* Whole days from their rows, the ends from the purchases themselves,
   * store by store, as each has its own days. */
  sketch = g_malloc0 (SKETCH_SIZE);
  for (guint z = 0; z < zones->len; z++)
    {
      const StoreZone  *zone = g_ptr_array_index (zones, z);
      const char *const one[] = { zone->id, NULL };
      g_autofree char  *store = stores_param (one);
      gint64            first_day, last_day;

      split_period (zone->tz, from, to, &first_day, &last_day);
      if (!prepare_days (db, first_day, last_day, error))
        return FALSE;
      stmt = sk_db_query (
          db, error,
          "SELECT purchases, revenue, discounts, bonus_earned, bonus_spent, customers_sketch"
          " FROM daily_stats WHERE day >= ?1 AND day < ?2"
          " AND (CAST (?3 AS TEXT) IS NULL OR CAST (?3 AS TEXT) LIKE '%\"' || store_id || '\"%')",
          "iis", first_day, last_day, store);
      if (stmt == NULL)
        return FALSE;
      while (sk_db_step (db, stmt, &has_row, error) && has_row)
        {
          gsize         size = 0;
          const guint8 *blob = sk_stmt_blob (stmt, 5, &size);

          out->purchases += sk_stmt_int64 (stmt, 0);
          sk_money_add_saturating (&out->revenue, sk_stmt_int64 (stmt, 1));
          sk_money_add_saturating (&out->discounts, sk_stmt_int64 (stmt, 2));
          sk_money_add_saturating (&out->bonus_earned, sk_stmt_int64 (stmt, 3));
          sk_money_add_saturating (&out->bonus_spent, sk_stmt_int64 (stmt, 4));
          if (size == SKETCH_SIZE)
            sketch_merge (sketch, blob);
        }
      sk_stmt_reset (stmt);
      if (error != NULL && *error != NULL)
        return FALSE;
      if (!add_purchases (db, from, MIN (to, day_start (zone->tz, first_day)), store, out, sketch,
                          error)
          || !add_purchases (db, MAX (from, day_start (zone->tz, last_day)), to, store, out, sketch,
                             error))
        return FALSE;
    }

  out->average_check = out->purchases > 0 ? out->revenue / out->purchases : 0;
  out->customers_exact = out->purchases <= EXACT_LIMIT;
  if (out->customers_exact)
    out->customers = sk_db_query_int (
        db, error, 0,
        "SELECT count (DISTINCT customer_id) FROM purchases"
        " WHERE created_at >= ?1 AND created_at < ?2 AND status <> 'refunded'"
        " AND (CAST (?3 AS TEXT) IS NULL OR CAST (?3 AS TEXT) LIKE '%\"' || store_id || '\"%')",
        "iis", from, to, stores);
  else
    out->customers = sketch_estimate (sketch);
  return error == NULL || *error == NULL;
}

static int
compare_points (gconstpointer a, gconstpointer b)
{
  return strcmp (((const SkDailyPoint *)a)->day, ((const SkDailyPoint *)b)->day);
}

/* Whether @zone's day @day is still under way at @now: today's figures so
 * far, which a chart must not show as a day's. */
static gboolean
day_is_partial (const StoreZone *zone, gint64 day, gint64 now)
{
  return day_start (zone->tz, day + 1) > now;
}

/* Appends one point per day of the rows @stmt gives (day, revenue, discounts,
 * bonus_earned, bonus_spent, purchases) of @zone's store. */
static gboolean
append_points (
    SkDatabase *db, SkStmt *stmt, const StoreZone *zone, gint64 now, GArray *points, GError **error)
{
  gboolean has_row;

  if (stmt == NULL)
    return FALSE;
  while (sk_db_step (db, stmt, &has_row, error) && has_row)
    {
      SkDailyPoint point = { { 0 } };

      g_autoptr (GDateTime) day = g_date_time_new_from_unix_utc (sk_stmt_int64 (stmt, 0) * 86400);
      g_autofree char *text = g_date_time_format (day, "%Y-%m-%d");

      g_strlcpy (point.day, text, sizeof point.day);
      point.partial = day_is_partial (zone, sk_stmt_int64 (stmt, 0), now);
      point.revenue = sk_stmt_int64 (stmt, 1);
      point.discounts = sk_stmt_int64 (stmt, 2);
      point.bonus_earned = sk_stmt_int64 (stmt, 3);
      point.bonus_spent = sk_stmt_int64 (stmt, 4);
      point.purchases = sk_stmt_int64 (stmt, 5);
      g_array_append_val (points, point);
    }
  sk_stmt_reset (stmt);
  return error == NULL || *error == NULL;
}

/* One point for day @day: the purchases of [from, to) of @store (@zone's),
 * if any. */
static gboolean
append_partial_day (SkDatabase      *db,
                    gint64           day,
                    gint64           from,
                    gint64           to,
                    const StoreZone *zone,
                    const char      *store,
                    gint64           now,
                    GArray          *points,
                    GError         **error)
{
  SkStmt  *stmt;
  gboolean has_row = FALSE;

  if (from >= to)
    return TRUE;
  stmt = sk_db_query (
      db, error,
      "SELECT count (*), sum (" KEPT
      "), coalesce (sum (subtotal - discount_total - refunded_total),"
      " 0), coalesce (sum (discount_total - discount_refunded), 0),"
      " coalesce (sum (bonus_earned - bonus_reversed), 0),"
      " coalesce (sum (bonus_spent - bonus_returned), 0)"
      " FROM purchases"
      " WHERE created_at >= ?1 AND created_at < ?2"
      " AND (CAST (?3 AS TEXT) IS NULL OR CAST (?3 AS TEXT) LIKE '%\"' || store_id || '\"%')",
      "iis", from, to, store);
  if (stmt == NULL || !sk_db_step (db, stmt, &has_row, error))
    {
      if (stmt != NULL)
        sk_stmt_reset (stmt);
      return FALSE;
    }
  if (has_row && sk_stmt_int64 (stmt, 0) > 0)
    {
      SkDailyPoint point = { { 0 } };

      g_autoptr (GDateTime) date = g_date_time_new_from_unix_utc (day * 86400);
      g_autofree char *text = g_date_time_format (date, "%Y-%m-%d");

      g_strlcpy (point.day, text, sizeof point.day);
      point.partial = day_is_partial (zone, day, now);
      point.purchases = sk_stmt_int64 (stmt, 1);
      point.revenue = sk_stmt_int64 (stmt, 2);
      point.discounts = sk_stmt_int64 (stmt, 3);
      point.bonus_earned = sk_stmt_int64 (stmt, 4);
      point.bonus_spent = sk_stmt_int64 (stmt, 5);
      g_array_append_val (points, point);
    }
  sk_stmt_reset (stmt);
  return TRUE;
}

/* Sorts @points by day and adds up the points of one day (the stores'). */
static void
merge_points (GArray *points)
{
  guint kept = 0;

  g_array_sort (points, compare_points);
  for (guint i = 0; i < points->len; i++)
    {
      SkDailyPoint *point = &g_array_index (points, SkDailyPoint, i);
      SkDailyPoint *last = kept > 0 ? &g_array_index (points, SkDailyPoint, kept - 1) : NULL;

      if (last != NULL && strcmp (last->day, point->day) == 0)
        {
          sk_money_add_saturating (&last->revenue, point->revenue);
          sk_money_add_saturating (&last->discounts, point->discounts);
          sk_money_add_saturating (&last->bonus_earned, point->bonus_earned);
          sk_money_add_saturating (&last->bonus_spent, point->bonus_spent);
          last->purchases += point->purchases;
          /* A day one store has closed and another has not: not over. */
          last->partial |= point->partial;
        }
      else
        g_array_index (points, SkDailyPoint, kept++) = *point;
    }
  g_array_set_size (points, kept);
}

GArray *
sk_analytics_daily (
    SkDatabase *db, gint64 from, gint64 to, const char *const *store_ids, GError **error)
{
  g_autoptr (GArray) points = g_array_new (FALSE, TRUE, sizeof (SkDailyPoint));
  g_autoptr (GPtrArray) zones = NULL;
  gint64 now = g_get_real_time ();

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  if (!check_period (from, to, error))
    return NULL;
  if (!clamp_to_data (db, &from, &to, error))
    return error == NULL || *error == NULL ? g_steal_pointer (&points) : NULL;
  zones = store_zones (db, store_ids, error);
  if (zones == NULL)
    return NULL;
  /* Each store by its own days; the stores' points of a day added up. */
  for (guint z = 0; z < zones->len; z++)
    {
      const StoreZone  *zone = g_ptr_array_index (zones, z);
      const char *const one[] = { zone->id, NULL };
      g_autofree char  *store = stores_param (one);
      gint64            first_day, last_day;

      split_period (zone->tz, from, to, &first_day, &last_day);
      if (!prepare_days (db, first_day, last_day, error))
        return NULL;
      if (!append_points (db,
                          sk_db_query (db, error,
                                       "SELECT day, sum (revenue), sum (discounts),"
                                       " sum (bonus_earned), sum (bonus_spent), sum (purchases)"
                                       " FROM daily_stats WHERE day >= ?1 AND day < ?2"
                                       " AND (CAST (?3 AS TEXT) IS NULL OR CAST (?3 AS TEXT) LIKE "
                                       "'%\"' || store_id || '\"%')"
                                       " GROUP BY day",
                                       "iis", first_day, last_day, store),
                          zone, now, points, error)
          || !append_partial_day (db, first_day - 1, from,
                                  MIN (to, day_start (zone->tz, first_day)), zone, store, now,
                                  points, error)
          || !append_partial_day (db, last_day, MAX (from, day_start (zone->tz, last_day)), to,
                                  zone, store, now, points, error))
        return NULL;
    }
  merge_points (points);
  return g_steal_pointer (&points);
}

GArray *
sk_analytics_segments (SkDatabase *db, GError **error)
{
  static const char *const order[] = {
    SK_SEGMENT_NEW, SK_SEGMENT_ONE_TIME, SK_SEGMENT_OCCASIONAL, SK_SEGMENT_REGULAR, SK_SEGMENT_VIP,
  };
  g_autoptr (GArray) counts = g_array_new (FALSE, TRUE, sizeof (SkSegmentCount));
  SkStmt  *stmt;
  gboolean has_row;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      SkSegmentCount count = { { 0 } };
      g_strlcpy (count.segment, order[i], sizeof count.segment);
      g_array_append_val (counts, count);
    }
  stmt = sk_db_query (db, error,
                      "SELECT segment, count (*), coalesce (sum (total_spent), 0), coalesce (sum "
                      "(bonus_balance), 0)"
                      " FROM customers GROUP BY segment",
                      NULL);
  if (stmt == NULL)
    return NULL;
  while (sk_db_step (db, stmt, &has_row, error))
    {
      const char *segment;

      if (!has_row)
        {
          sk_stmt_reset (stmt);
          return g_steal_pointer (&counts);
        }
      segment = sk_stmt_text (stmt, 0);
      for (guint i = 0; i < counts->len; i++)
        {
          SkSegmentCount *count = &g_array_index (counts, SkSegmentCount, i);
          if (g_strcmp0 (count->segment, segment) == 0)
            {
              count->customers = sk_stmt_int64 (stmt, 1);
              count->total_spent = sk_stmt_int64 (stmt, 2);
              count->bonus_balance = sk_stmt_int64 (stmt, 3);
            }
        }
    }
  return NULL;
}

static void
rule_stats_clear (gpointer data)
{
  SkRuleStats *stats = data;

  g_free (stats->rule_id);
  g_free (stats->name);
}

static int
compare_rule_stats (gconstpointer a, gconstpointer b)
{
  const SkRuleStats *x = a, *y = b;

  if (x->discount != y->discount)
    return x->discount > y->discount ? -1 : 1;
  if (x->uses != y->uses)
    return x->uses > y->uses ? -1 : 1;
  return strcmp (x->rule_id, y->rule_id);
}

/* Adds each rule's uses, discount and revenue of @store's part of
 * [from, to) to @rules: whole days from their rows, the ends from the
 * applications. A rule applies at most once per purchase, so one
 * application is one purchase "with" the rule. */
static gboolean
add_rule_parts (SkDatabase      *db,
                const StoreZone *zone,
                gint64           from,
                gint64           to,
                GHashTable      *rules,
                GError         **error)
{
  const char *const one[] = { zone->id, NULL };
  g_autofree char  *store = stores_param (one);
  gint64            first_day, last_day;
  SkStmt           *stmt;
  gboolean          has_row;

  split_period (zone->tz, from, to, &first_day, &last_day);
  /* The summary made the whole days' rows. */
  stmt = sk_db_query (
      db, error,
      "WITH parts (rule_id, uses, discount, revenue) AS ("
      "  SELECT rule_id, uses, discount, revenue FROM daily_rule_stats"
      "   WHERE day >= ?4 AND day < ?5"
      "   AND (CAST (?3 AS TEXT) IS NULL OR CAST (?3 AS TEXT) LIKE '%\"' || store_id || '\"%')"
      "  UNION ALL"
      "  SELECT a.rule_id, " KEPT ","
      "   a.amount - a.amount_refunded, p.subtotal - p.discount_total - p.refunded_total"
      "   FROM discount_applications AS a JOIN purchases AS p ON p.id = a.purchase_id"
      "   WHERE a.rule_id IN (SELECT id FROM discount_rules)"
      "   AND a.created_at >= ?1 AND a.created_at < ?2 AND a.created_at < ?6"
      "   AND (CAST (?3 AS TEXT) IS NULL OR CAST (?3 AS TEXT) LIKE '%\"' || a.store_id || '\"%')"
      "  UNION ALL"
      "  SELECT a.rule_id, " KEPT ","
      "   a.amount - a.amount_refunded, p.subtotal - p.discount_total - p.refunded_total"
      "   FROM discount_applications AS a JOIN purchases AS p ON p.id = a.purchase_id"
      "   WHERE a.rule_id IN (SELECT id FROM discount_rules)"
      "   AND a.created_at >= ?1 AND a.created_at >= ?7 AND a.created_at < ?2"
      "   AND (CAST (?3 AS TEXT) IS NULL OR CAST (?3 AS TEXT) LIKE '%\"' || a.store_id || '\"%'))"
      " SELECT rule_id, sum (uses), sum (discount), sum (revenue) FROM parts GROUP BY rule_id",
      "iisiiii", from, to, store, first_day, last_day, day_start (zone->tz, first_day),
      day_start (zone->tz, last_day));
  if (stmt == NULL)
    return FALSE;
  while (sk_db_step (db, stmt, &has_row, error) && has_row)
    {
      const char *rule_id = sk_stmt_text (stmt, 0);
      DayRule    *r = g_hash_table_lookup (rules, rule_id);

      if (r == NULL)
        {
          r = g_new0 (DayRule, 1);
          g_hash_table_insert (rules, g_strdup (rule_id), r);
        }
      r->uses += sk_stmt_int64 (stmt, 1);
      sk_money_add_saturating (&r->discount, sk_stmt_int64 (stmt, 2));
      sk_money_add_saturating (&r->revenue, sk_stmt_int64 (stmt, 3));
    }
  sk_stmt_reset (stmt);
  return error == NULL || *error == NULL;
}

GArray *
sk_analytics_rule_effectiveness (
    SkDatabase *db, gint64 from, gint64 to, const char *const *store_ids, GError **error)
{
  g_autoptr (GArray) stats = g_array_new (FALSE, TRUE, sizeof (SkRuleStats));
  g_autoptr (GHashTable) rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) zones = NULL;
  SkSummary all;
  SkStmt   *stmt;
  gboolean  has_row;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  g_array_set_clear_func (stats, rule_stats_clear);
  if (!sk_analytics_summary (db, from, to, store_ids, &all, error))
    return NULL;
  if (clamp_to_data (db, &from, &to, error))
    {
      zones = store_zones (db, store_ids, error);
      if (zones == NULL)
        return NULL;
      for (guint z = 0; z < zones->len; z++)
        if (!add_rule_parts (db, g_ptr_array_index (zones, z), from, to, rules, error))
          return NULL;
    }
  else if (error != NULL && *error != NULL)
    return NULL;

  stmt = sk_db_query (db, error, "SELECT id, name FROM discount_rules", NULL);
  if (stmt == NULL)
    return NULL;
  while (sk_db_step (db, stmt, &has_row, error) && has_row)
    {
      SkRuleStats    s = { 0 };
      const DayRule *r = g_hash_table_lookup (rules, sk_stmt_text (stmt, 0));

      s.rule_id = g_strdup (sk_stmt_text (stmt, 0));
      s.name = g_strdup (sk_stmt_text (stmt, 1));
      s.uses = r != NULL ? r->uses : 0;
      s.discount = r != NULL ? r->discount : 0;
      s.purchases_with = s.uses;
      s.revenue_with = r != NULL ? r->revenue : 0;
      s.average_with = s.purchases_with > 0 ? s.revenue_with / s.purchases_with : 0;
      s.purchases_without = all.purchases - s.purchases_with;
      s.revenue_without = all.revenue - s.revenue_with;
      s.average_without = s.purchases_without > 0 ? s.revenue_without / s.purchases_without : 0;
      g_array_append_val (stats, s);
    }
  sk_stmt_reset (stmt);
  if (error != NULL && *error != NULL)
    return NULL;
  g_array_sort (stats, compare_rule_stats);
  return g_steal_pointer (&stats);
}

gboolean
sk_analytics_campaign (SkDatabase        *db,
                       const char        *campaign_id,
                       const char        *store_id,
                       SkCampaignFigures *out,
                       GError           **error)
{
  g_autoptr (SkCampaign) campaign = NULL;
  SkStmt  *stmt;
  gboolean has_row = FALSE;

  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  campaign = sk_database_get_campaign (db, campaign_id, error);
  if (campaign == NULL)
    return FALSE;
  out->budget = campaign->budget;
  out->spent = campaign->spent;
  out->store_only = store_id != NULL;

  stmt = sk_db_query (
      db, error,
      "WITH a AS (SELECT a.purchase_id, sum (a.amount - a.amount_refunded) AS amount"
      "  FROM discount_applications AS a WHERE a.campaign_id = ?1 GROUP BY a.purchase_id)"
      " SELECT coalesce (sum (" KEPT "), 0),"
      " coalesce (sum (p.subtotal - p.discount_total - p.refunded_total), 0),"
      " coalesce (sum (a.amount), 0), coalesce (sum (p.bonus_earned - p.bonus_reversed), 0),"
      " count (DISTINCT CASE WHEN p.status = 'refunded' THEN NULL ELSE p.customer_id END)"
      " FROM a JOIN purchases AS p ON p.id = a.purchase_id WHERE ?2 = '' OR p.store_id = ?2",
      "ss", campaign_id, store_id != NULL ? store_id : "");
  if (stmt == NULL || !sk_db_step (db, stmt, &has_row, error))
    return FALSE;
  if (has_row)
    {
      out->purchases = sk_stmt_int64 (stmt, 0);
      out->revenue = sk_stmt_int64 (stmt, 1);
      out->discount = sk_stmt_int64 (stmt, 2);
      out->bonus_earned = sk_stmt_int64 (stmt, 3);
      out->customers = sk_stmt_int64 (stmt, 4);
    }
  sk_stmt_reset (stmt);
  return TRUE;
}

/* JSON */

static const SkMember summary_members[] = {
  SK_MEMBER (SkSummary, INT64, revenue),      SK_MEMBER (SkSummary, INT64, discounts),
  SK_MEMBER (SkSummary, INT64, bonus_earned), SK_MEMBER (SkSummary, INT64, bonus_spent),
  SK_MEMBER (SkSummary, INT64, customers),    SK_MEMBER (SkSummary, BOOL, customers_exact),
  SK_MEMBER (SkSummary, INT64, purchases),    SK_MEMBER (SkSummary, INT64, average_check),
};

static const SkMember daily_members[] = {
  SK_MEMBER (SkDailyPoint, CHARS, day),         SK_MEMBER (SkDailyPoint, INT64, revenue),
  SK_MEMBER (SkDailyPoint, INT64, discounts),   SK_MEMBER (SkDailyPoint, INT64, bonus_earned),
  SK_MEMBER (SkDailyPoint, INT64, bonus_spent), SK_MEMBER (SkDailyPoint, INT64, purchases),
  SK_MEMBER (SkDailyPoint, BOOL, partial),
};

static const SkMember segment_members[] = {
  SK_MEMBER (SkSegmentCount, CHARS, segment),
  SK_MEMBER (SkSegmentCount, INT64, customers),
  SK_MEMBER (SkSegmentCount, INT64, total_spent),
  SK_MEMBER (SkSegmentCount, INT64, bonus_balance),
};

static const SkMember rule_stats_members[] = {
  SK_MEMBER (SkRuleStats, STRING, rule_id),
  SK_MEMBER (SkRuleStats, STRING, name),
  SK_MEMBER (SkRuleStats, INT64, uses),
  SK_MEMBER (SkRuleStats, INT64, discount),
  SK_MEMBER (SkRuleStats, INT64, purchases_with),
  SK_MEMBER (SkRuleStats, INT64, revenue_with),
  SK_MEMBER (SkRuleStats, INT64, average_with),
  SK_MEMBER (SkRuleStats, INT64, purchases_without),
  SK_MEMBER (SkRuleStats, INT64, revenue_without),
  SK_MEMBER (SkRuleStats, INT64, average_without),
};

static const SkMember campaign_members[] = {
  SK_MEMBER (SkCampaignFigures, INT64, purchases),
  SK_MEMBER (SkCampaignFigures, INT64, revenue),
  SK_MEMBER (SkCampaignFigures, INT64, discount),
  SK_MEMBER (SkCampaignFigures, INT64, bonus_earned),
  SK_MEMBER (SkCampaignFigures, INT64, customers),
  SK_MEMBER (SkCampaignFigures, INT64, budget),
  SK_MEMBER (SkCampaignFigures, INT64, spent),
  SK_MEMBER (SkCampaignFigures, BOOL, store_only),
};

void
sk_chart_figures_free (SkChartFigures *figures)
{
  if (figures == NULL)
    return;
  g_clear_pointer (&figures->daily, g_array_unref);
  g_clear_pointer (&figures->segments, g_array_unref);
  g_clear_pointer (&figures->rules, g_array_unref);
  g_free (figures);
}

SkChartFigures *
sk_analytics_figures (
    SkDatabase *db, gint64 from, gint64 to, const char *const *store_ids, GError **error)
{
  g_autoptr (SkChartFigures) f = g_new0 (SkChartFigures, 1);

  if (!sk_analytics_summary (db, from, to, store_ids, &f->summary, error)
      || (f->daily = sk_analytics_daily (db, from, to, store_ids, error)) == NULL
      || (f->segments = sk_analytics_segments (db, error)) == NULL
      || (f->rules = sk_analytics_rule_effectiveness (db, from, to, store_ids, error)) == NULL)
    return NULL;
  return g_steal_pointer (&f);
}

JsonNode *
sk_summary_to_json (const SkSummary *s)
{
  return sk_json_from_struct (s, summary_members, G_N_ELEMENTS (summary_members));
}

JsonNode *
sk_daily_to_json (GArray *points)
{
  return sk_json_from_structs (points, daily_members, G_N_ELEMENTS (daily_members));
}

JsonNode *
sk_segments_to_json (GArray *counts)
{
  return sk_json_from_structs (counts, segment_members, G_N_ELEMENTS (segment_members));
}

JsonNode *
sk_rule_stats_to_json (GArray *stats)
{
  return sk_json_from_structs (stats, rule_stats_members, G_N_ELEMENTS (rule_stats_members));
}

JsonNode *
sk_campaign_figures_to_json (const SkCampaignFigures *f)
{
  return sk_json_from_struct (f, campaign_members, G_N_ELEMENTS (campaign_members));
}

JsonNode *
sk_chart_figures_to_json (const SkChartFigures *f)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "summary");
  json_builder_add_value (builder, sk_summary_to_json (&f->summary));
  json_builder_set_member_name (builder, "daily");
  json_builder_add_value (builder, sk_daily_to_json (f->daily));
  json_builder_set_member_name (builder, "segments");
  json_builder_add_value (builder, sk_segments_to_json (f->segments));
  json_builder_set_member_name (builder, "rules");
  json_builder_add_value (builder, sk_rule_stats_to_json (f->rules));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* What HQ answered did not read as figures: said once for every part. */
static gboolean
figures_malformed (GError **error)
{
  sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, _ ("HQ's answer could not be read"));
  return FALSE;
}

SkChartFigures *
sk_chart_figures_from_json (JsonNode *node, GError **error)
{
  g_autoptr (SkChartFigures) f = g_new0 (SkChartFigures, 1);
  JsonObject *o
      = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  if (o == NULL
      || !sk_json_to_struct (json_object_get_member (o, "summary"), &f->summary, summary_members,
                             G_N_ELEMENTS (summary_members))
      || (f->daily = sk_json_to_structs (json_object_get_member (o, "daily"), sizeof (SkDailyPoint),
                                         daily_members, G_N_ELEMENTS (daily_members), NULL))
             == NULL
      || (f->segments
          = sk_json_to_structs (json_object_get_member (o, "segments"), sizeof (SkSegmentCount),
                                segment_members, G_N_ELEMENTS (segment_members), NULL))
             == NULL
      || (f->rules = sk_json_to_structs (json_object_get_member (o, "rules"), sizeof (SkRuleStats),
                                         rule_stats_members, G_N_ELEMENTS (rule_stats_members),
                                         rule_stats_clear))
             == NULL)
    return figures_malformed (error), NULL;
  return g_steal_pointer (&f);
}

gboolean
sk_campaign_figures_from_json (JsonNode *node, SkCampaignFigures *out, GError **error)
{
  memset (out, 0, sizeof *out);
  return sk_json_to_struct (node, out, campaign_members, G_N_ELEMENTS (campaign_members))
         || figures_malformed (error);
}
