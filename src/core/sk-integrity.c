/* sk-integrity.c: does HQ's store add up? One statement per check, in SQL
 * both backends take, each row it gives a problem.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "sk-database-private.h"
#include "sk-integrity.h"

/* The most problems of one check written out; the rest are counted. */
#define MAX_LISTED 20

/* Turns a row (column 0 an id, the others integers) into a sentence. */
typedef char *(*Describe) (SkStmt *stmt);

typedef struct
{
  const char *sql;
  Describe    describe;
} Check;

#define I(col) sk_stmt_int64 (stmt, col)
#define ID     sk_stmt_text (stmt, 0)

static char *
describe_balance (SkStmt *stmt)
{
  return g_strdup_printf (
      _ ("customer %s: the bonus balance is %" PRId64 " but the ledger adds up to %" PRId64), ID,
      I (1), I (2));
}

static char *
describe_lines (SkStmt *stmt)
{
  return g_strdup_printf (_ ("purchase %s: subtotal %" PRId64 " and discount %" PRId64
                             " but its %" PRId64 " lines add up to %" PRId64 " and %" PRId64),
                          ID, I (1), I (2), I (3), I (4), I (5));
}

static char *
describe_line_total (SkStmt *stmt)
{
  return g_strdup_printf (_ ("purchase %s: line %" PRId64 " has the total %" PRId64
                             ", not its price times its quantity less its discount (%" PRId64 ")"),
                          ID, I (1), I (2), I (3));
}

static char *
describe_paid (SkStmt *stmt)
{
  return g_strdup_printf (_ ("purchase %s: paid %" PRId64
                             " in money, not the subtotal less the discount and the bonuses"
                             " spent (%" PRId64 ")"),
                          ID, I (1), I (2));
}

static char *
describe_earned (SkStmt *stmt)
{
  return g_strdup_printf (_ ("purchase %s: %" PRId64 " bonuses earned but %" PRId64
                             " earn rows in the ledger adding up to %" PRId64),
                          ID, I (1), I (2), I (3));
}

static char *
describe_spent (SkStmt *stmt)
{
  return g_strdup_printf (_ ("purchase %s: %" PRId64 " bonuses spent but %" PRId64
                             " spend rows in the ledger adding up to %" PRId64),
                          ID, I (1), I (2), -I (3));
}

static char *
describe_ledger_customer (SkStmt *stmt)
{
  return g_strdup_printf (_ ("ledger row %s: of a customer other than its purchase's"), ID);
}

static char *
describe_refunded (SkStmt *stmt)
{
  return g_strdup_printf (
      _ ("purchase %s: %" PRId64 " refunded but its refunds add up to %" PRId64), ID, I (1), I (2));
}

static char *
describe_refund_bonuses (SkStmt *stmt)
{
  return g_strdup_printf (_ ("purchase %s: its returns took back %" PRId64 " and gave back %" PRId64
                             " in bonuses but its refunds say %" PRId64 " and %" PRId64),
                          ID, I (1), I (2), I (3), I (4));
}

static char *
describe_reversed (SkStmt *stmt)
{
  return g_strdup_printf (_ ("purchase %s: its refunds give back %" PRId64
                             " bonuses but the ledger's refund rows add up to %" PRId64),
                          ID, I (1), I (2));
}

static char *
describe_figures (SkStmt *stmt)
{
  return g_strdup_printf (_ ("customer %s: %" PRId64 " visits and %" PRId64
                             " spent, but the purchases say %" PRId64 " and %" PRId64),
                          ID, I (1), I (2), I (3), I (4));
}

static char *
describe_rule_uses (SkStmt *stmt)
{
  return g_strdup_printf (
      _ ("rule %s: %" PRId64 " uses, but %" PRId64 " purchases not refunded applied it"), ID, I (1),
      I (2));
}

static char *
describe_customer_uses (SkStmt *stmt)
{
  return g_strdup_printf (_ ("customer %s: %" PRId64 " uses of rule %s, but %" PRId64
                             " of their purchases not refunded applied it"),
                          ID, I (2), sk_stmt_text (stmt, 1), I (3));
}

static char *
describe_discount_back (SkStmt *stmt)
{
  return g_strdup_printf (_ ("purchase %s: %" PRId64 " of its discount given back, but its"
                             " discounts' shares of it add up to %" PRId64),
                          ID, I (1), I (2));
}

static char *
describe_campaign_spent (SkStmt *stmt)
{
  return g_strdup_printf (_ ("campaign %s: %" PRId64 " spent, but its discounts not given back"
                             " add up to %" PRId64),
                          ID, I (1), I (2));
}

static char *
describe_device (SkStmt *stmt)
{
  return g_strdup_printf (
      _ ("device %s: acknowledged up to %" PRId64 " but recorded to have pushed event %" PRId64),
      ID, I (1), I (2));
}

#undef I
#undef ID

static const Check checks[] = {
  { "SELECT c.id, c.bonus_balance, coalesce (l.total, 0) FROM customers AS c"
    " LEFT JOIN (SELECT customer_id, sum (amount) AS total FROM bonus_transactions"
    "   GROUP BY customer_id) AS l ON l.customer_id = c.id"
    " WHERE c.bonus_balance <> coalesce (l.total, 0) ORDER BY c.id",
    describe_balance },
  { "SELECT p.id, p.subtotal, p.discount_total, coalesce (l.n, 0), coalesce (l.subtotal, 0),"
    " coalesce (l.discount, 0) FROM purchases AS p"
    " LEFT JOIN (SELECT purchase_id, count(*) AS n, sum (unit_price * quantity) AS subtotal,"
    "   sum (discount) AS discount FROM purchase_lines GROUP BY purchase_id) AS l"
    "   ON l.purchase_id = p.id"
    " WHERE l.n IS NULL OR l.subtotal <> p.subtotal OR l.discount <> p.discount_total"
    " ORDER BY p.id",
    describe_lines },
  { "SELECT purchase_id, line_no, total, unit_price * quantity - discount FROM purchase_lines"
    " WHERE total <> unit_price * quantity - discount ORDER BY purchase_id, line_no",
    describe_line_total },
  { "SELECT id, total_paid, subtotal - discount_total - bonus_spent FROM purchases"
    " WHERE total_paid <> subtotal - discount_total - bonus_spent ORDER BY id",
    describe_paid },
  { "SELECT p.id, p.bonus_earned, coalesce (l.n, 0), coalesce (l.total, 0) FROM purchases AS p"
    " LEFT JOIN (SELECT purchase_id, count(*) AS n, sum (amount) AS total"
    "   FROM bonus_transactions WHERE kind = 'earn' AND purchase_id IS NOT NULL"
    "   GROUP BY purchase_id) AS l ON l.purchase_id = p.id"
    " WHERE coalesce (l.total, 0) <> p.bonus_earned"
    "  OR coalesce (l.n, 0) <> CASE WHEN p.bonus_earned > 0 THEN 1 ELSE 0 END"
    " ORDER BY p.id",
    describe_earned },
  { "SELECT p.id, p.bonus_spent, coalesce (l.n, 0), coalesce (l.total, 0) FROM purchases AS p"
    " LEFT JOIN (SELECT purchase_id, count(*) AS n, sum (amount) AS total"
    "   FROM bonus_transactions WHERE kind = 'spend' AND purchase_id IS NOT NULL"
    "   GROUP BY purchase_id) AS l ON l.purchase_id = p.id"
    " WHERE coalesce (l.total, 0) <> -p.bonus_spent"
    "  OR coalesce (l.n, 0) <> CASE WHEN p.bonus_spent > 0 THEN 1 ELSE 0 END"
    " ORDER BY p.id",
    describe_spent },
  { "SELECT t.id FROM bonus_transactions AS t JOIN purchases AS p ON p.id = t.purchase_id"
    " WHERE p.customer_id IS NULL OR p.customer_id <> t.customer_id ORDER BY t.id",
    describe_ledger_customer },
  { "SELECT p.id, p.refunded_total, coalesce (r.total, 0) FROM purchases AS p"
    " LEFT JOIN (SELECT purchase_id, sum (amount) AS total FROM refunds GROUP BY purchase_id)"
    "   AS r ON r.purchase_id = p.id"
    " WHERE p.refunded_total <> coalesce (r.total, 0) ORDER BY p.id",
    describe_refunded },
  { "SELECT p.id, p.bonus_reversed, p.bonus_returned, coalesce (r.reversed, 0),"
    " coalesce (r.returned, 0) FROM purchases AS p"
    " LEFT JOIN (SELECT purchase_id, sum (bonus_reversed) AS reversed,"
    "   sum (bonus_returned) AS returned FROM refunds GROUP BY purchase_id) AS r"
    "   ON r.purchase_id = p.id"
    " WHERE p.bonus_reversed <> coalesce (r.reversed, 0)"
    "  OR p.bonus_returned <> coalesce (r.returned, 0) ORDER BY p.id",
    describe_refund_bonuses },
  { "SELECT p.id, coalesce (r.total, 0), coalesce (l.total, 0) FROM purchases AS p"
    " LEFT JOIN (SELECT purchase_id, sum (bonus_returned - bonus_reversed) AS total"
    "   FROM refunds GROUP BY purchase_id) AS r ON r.purchase_id = p.id"
    " LEFT JOIN (SELECT purchase_id, sum (amount) AS total FROM bonus_transactions"
    "   WHERE kind = 'reverse' AND purchase_id IS NOT NULL GROUP BY purchase_id) AS l"
    "   ON l.purchase_id = p.id"
    " WHERE p.customer_id IS NOT NULL AND coalesce (r.total, 0) <> coalesce (l.total, 0)"
    " ORDER BY p.id",
    describe_reversed },
  { "SELECT c.id, c.visits, c.total_spent, coalesce (f.visits, 0), coalesce (f.spent, 0)"
    " FROM customers AS c"
    " LEFT JOIN (SELECT customer_id,"
    "   sum (CASE WHEN status = 'refunded' THEN 0 ELSE 1 END) AS visits,"
    "   sum (subtotal - discount_total - refunded_total) AS spent"
    "   FROM purchases WHERE customer_id IS NOT NULL GROUP BY customer_id) AS f"
    "   ON f.customer_id = c.id"
    " WHERE c.visits <> coalesce (f.visits, 0) OR c.total_spent <> coalesce (f.spent, 0)"
    " ORDER BY c.id",
    describe_figures },
  { "SELECT r.id, r.uses, coalesce (a.n, 0) FROM discount_rules AS r"
    " LEFT JOIN (SELECT a.rule_id, count(*) AS n FROM discount_applications AS a"
    "   JOIN purchases AS p ON p.id = a.purchase_id WHERE p.status <> 'refunded'"
    "   GROUP BY a.rule_id) AS a ON a.rule_id = r.id"
    " WHERE r.uses <> coalesce (a.n, 0) ORDER BY r.id",
    describe_rule_uses },
  { "SELECT u.customer_id, u.rule_id, u.uses, coalesce (a.n, 0) FROM rule_customer_uses AS u"
    " LEFT JOIN (SELECT p.customer_id, a.rule_id, count(*) AS n"
    "   FROM discount_applications AS a JOIN purchases AS p ON p.id = a.purchase_id"
    "   WHERE p.status <> 'refunded' AND p.customer_id IS NOT NULL"
    "   GROUP BY p.customer_id, a.rule_id) AS a"
    "   ON a.customer_id = u.customer_id AND a.rule_id = u.rule_id"
    " WHERE u.uses <> coalesce (a.n, 0) ORDER BY u.customer_id, u.rule_id",
    describe_customer_uses },
  /* Where every discount of the purchase knows its lines, the returns
   * shared the discount given back among them exactly. */
  { "SELECT p.id, p.discount_refunded, a.back FROM purchases AS p"
    " JOIN (SELECT purchase_id, sum (amount_refunded) AS back, count(*) AS n,"
    "   count (line_amounts) AS known FROM discount_applications GROUP BY purchase_id) AS a"
    "   ON a.purchase_id = p.id"
    " WHERE a.n = a.known AND a.back <> p.discount_refunded ORDER BY p.id",
    describe_discount_back },
  { "SELECT k.id, k.spent, coalesce (a.net, 0) FROM campaigns AS k"
    " LEFT JOIN (SELECT campaign_id, sum (amount - amount_refunded) AS net"
    "   FROM discount_applications WHERE campaign_id IS NOT NULL GROUP BY campaign_id) AS a"
    "   ON a.campaign_id = k.id"
    " WHERE k.spent <> coalesce (a.net, 0) ORDER BY k.id",
    describe_campaign_spent },
  { "SELECT d.id, d.acked_seq, max (e.seq) FROM devices AS d"
    " JOIN sync_events AS e ON e.device_id = d.id GROUP BY d.id, d.acked_seq"
    " HAVING max (e.seq) > d.acked_seq ORDER BY d.id",
    describe_device },
};

GPtrArray *
sk_database_check_integrity (SkDatabase *self, GError **error)
{
  g_autoptr (GPtrArray) problems = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  problems = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      SkStmt  *stmt = sk_db_query (self, error, checks[i].sql, NULL);
      gboolean has_row = FALSE, ok;
      guint    found = 0;

      if (stmt == NULL)
        return NULL;
      while ((ok = sk_db_step (self, stmt, &has_row, error)) && has_row)
        if (found++ < MAX_LISTED)
          g_ptr_array_add (problems, checks[i].describe (stmt));
      sk_stmt_reset (stmt);
      if (!ok)
        return NULL;
      if (found > MAX_LISTED)
        g_ptr_array_add (
            problems, g_strdup_printf (_ ("…and %u more like the one above"), found - MAX_LISTED));
    }
  return g_steal_pointer (&problems);
}
