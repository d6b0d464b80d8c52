/* sk-schema.c: the numbered migrations of the SQLite file. Never edit a
 * released step: add the next one.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-schema.h"

static const char migration_1[]
    = "CREATE TABLE settings ("
      "  key TEXT PRIMARY KEY,"
      "  value TEXT NOT NULL"
      ");"
      "CREATE TABLE stores ("
      "  id TEXT PRIMARY KEY,"
      "  code TEXT NOT NULL UNIQUE,"
      "  name TEXT NOT NULL,"
      "  address TEXT,"
      "  timezone TEXT,"
      "  bonus_rate INTEGER NOT NULL DEFAULT 100 CHECK (bonus_rate BETWEEN 0 AND 10000),"
      "  max_bonus_share INTEGER NOT NULL DEFAULT 10000 CHECK (max_bonus_share BETWEEN 0 AND "
      "10000),"
      "  version INTEGER NOT NULL DEFAULT 1"
      ");"
      "CREATE TABLE customers ("
      "  id TEXT PRIMARY KEY,"
      "  card_number TEXT UNIQUE,"
      "  phone TEXT UNIQUE,"
      "  email TEXT,"
      "  full_name TEXT,"
      "  name_key TEXT,"
      "  birth_date TEXT,"
      "  consent_email INTEGER NOT NULL DEFAULT 0,"
      "  consent_sms INTEGER NOT NULL DEFAULT 0,"
      "  consent_push INTEGER NOT NULL DEFAULT 0,"
      "  home_store_id TEXT REFERENCES stores (id),"
      "  created_at INTEGER NOT NULL,"
      "  visits INTEGER NOT NULL DEFAULT 0,"
      "  total_spent INTEGER NOT NULL DEFAULT 0,"
      "  last_purchase_at INTEGER,"
      "  segment TEXT NOT NULL DEFAULT 'new',"
      "  bonus_balance INTEGER NOT NULL DEFAULT 0,"
      "  flagged INTEGER NOT NULL DEFAULT 0,"
      "  version INTEGER NOT NULL DEFAULT 1"
      ");"
      "CREATE INDEX customers_name_key ON customers (name_key, id);"
      "CREATE INDEX customers_segment ON customers (segment);"
      "CREATE TABLE customer_children ("
      "  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,"
      "  position INTEGER NOT NULL,"
      "  name TEXT,"
      "  birth_date TEXT,"
      "  PRIMARY KEY (customer_id, position)"
      ") WITHOUT ROWID;"
      "CREATE TABLE campaigns ("
      "  id TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL,"
      "  description TEXT,"
      "  starts_at INTEGER,"
      "  ends_at INTEGER,"
      "  status TEXT NOT NULL DEFAULT 'draft'"
      "    CHECK (status IN ('draft', 'scheduled', 'active', 'finished', 'archived')),"
      "  segments TEXT NOT NULL DEFAULT '[]',"
      "  store_ids TEXT NOT NULL DEFAULT '[]',"
      "  channels TEXT NOT NULL DEFAULT '[]',"
      "  budget INTEGER NOT NULL DEFAULT 0,"
      "  spent INTEGER NOT NULL DEFAULT 0,"
      "  version INTEGER NOT NULL DEFAULT 1"
      ");"
      "CREATE TABLE discount_rules ("
      "  id TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL,"
      "  description TEXT,"
      "  type TEXT NOT NULL CHECK (type IN ('percentage', 'fixed_amount', 'bonus_multiplier')),"
      "  value INTEGER NOT NULL,"
      "  min_purchase INTEGER NOT NULL DEFAULT 0,"
      "  max_discount INTEGER NOT NULL DEFAULT 0,"
      "  store_ids TEXT NOT NULL DEFAULT '[]',"
      "  categories TEXT NOT NULL DEFAULT '[]',"
      "  segments TEXT NOT NULL DEFAULT '[]',"
      "  usage_limit_total INTEGER NOT NULL DEFAULT 0,"
      "  usage_limit_per_customer INTEGER NOT NULL DEFAULT 0,"
      "  valid_from INTEGER,"
      "  valid_until INTEGER,"
      "  is_active INTEGER NOT NULL DEFAULT 1,"
      "  priority INTEGER NOT NULL DEFAULT 0,"
      "  stackable INTEGER NOT NULL DEFAULT 1,"
      "  campaign_id TEXT REFERENCES campaigns (id),"
      "  uses INTEGER NOT NULL DEFAULT 0,"
      "  version INTEGER NOT NULL DEFAULT 1"
      ");"
      "CREATE INDEX discount_rules_campaign ON discount_rules (campaign_id);"
      "CREATE TABLE rule_customer_uses ("
      "  rule_id TEXT NOT NULL REFERENCES discount_rules (id),"
      "  customer_id TEXT NOT NULL REFERENCES customers (id),"
      "  uses INTEGER NOT NULL,"
      "  PRIMARY KEY (customer_id, rule_id)"
      ") WITHOUT ROWID;"
      "CREATE TABLE purchases ("
      "  id TEXT PRIMARY KEY,"
      "  customer_id TEXT REFERENCES customers (id),"
      "  store_id TEXT NOT NULL REFERENCES stores (id),"
      "  created_at INTEGER NOT NULL,"
      "  subtotal INTEGER NOT NULL,"
      "  discount_total INTEGER NOT NULL,"
      "  bonus_spent INTEGER NOT NULL,"
      "  bonus_earned INTEGER NOT NULL,"
      "  total_paid INTEGER NOT NULL,"
      "  bonus_multiplier INTEGER NOT NULL DEFAULT 100,"
      "  status TEXT NOT NULL DEFAULT 'completed',"
      "  refunded_total INTEGER NOT NULL DEFAULT 0,"
      "  CHECK (discount_total BETWEEN 0 AND subtotal)"
      ");"
      "CREATE INDEX purchases_customer ON purchases (customer_id, created_at);"
      /* Covers the summary and the daily series: no table lookups. */
      "CREATE INDEX purchases_time ON purchases (created_at, store_id, subtotal, discount_total,"
      "  refunded_total, bonus_spent, bonus_earned, customer_id);"
      "CREATE TABLE purchase_lines ("
      "  purchase_id TEXT NOT NULL REFERENCES purchases (id),"
      "  line_no INTEGER NOT NULL,"
      "  sku TEXT,"
      "  name TEXT,"
      "  category TEXT,"
      "  unit_price INTEGER NOT NULL CHECK (unit_price >= 0),"
      "  quantity INTEGER NOT NULL CHECK (quantity > 0),"
      "  discount INTEGER NOT NULL DEFAULT 0,"
      "  total INTEGER NOT NULL,"
      "  refunded_quantity INTEGER NOT NULL DEFAULT 0,"
      "  PRIMARY KEY (purchase_id, line_no)"
      ") WITHOUT ROWID;"
      "CREATE TABLE discount_applications ("
      "  id TEXT PRIMARY KEY,"
      "  purchase_id TEXT NOT NULL REFERENCES purchases (id),"
      "  rule_id TEXT NOT NULL REFERENCES discount_rules (id),"
      "  rule_name TEXT,"
      "  customer_id TEXT,"
      "  store_id TEXT,"
      "  amount INTEGER NOT NULL,"
      "  created_at INTEGER NOT NULL"
      ");"
      "CREATE INDEX discount_applications_rule ON discount_applications (rule_id, created_at);"
      "CREATE INDEX discount_applications_purchase ON discount_applications (purchase_id);"
      "CREATE TABLE bonus_transactions ("
      "  id TEXT PRIMARY KEY,"
      "  customer_id TEXT NOT NULL REFERENCES customers (id),"
      "  kind TEXT NOT NULL CHECK (kind IN ('earn', 'spend', 'adjust', 'expire', 'reverse')),"
      "  amount INTEGER NOT NULL,"
      "  balance_after INTEGER NOT NULL,"
      "  reason TEXT,"
      "  purchase_id TEXT REFERENCES purchases (id),"
      "  store_id TEXT,"
      "  created_at INTEGER NOT NULL,"
      "  expires_at INTEGER"
      ");"
      "CREATE INDEX bonus_transactions_customer ON bonus_transactions (customer_id, created_at);"
      "CREATE TABLE customer_segments ("
      "  id INTEGER PRIMARY KEY,"
      "  customer_id TEXT NOT NULL REFERENCES customers (id),"
      "  segment TEXT NOT NULL,"
      "  previous_segment TEXT,"
      "  assigned_at INTEGER NOT NULL"
      ");"
      "CREATE INDEX customer_segments_customer ON customer_segments (customer_id, assigned_at);"
      "CREATE TABLE notifications ("
      "  id TEXT PRIMARY KEY,"
      "  customer_id TEXT REFERENCES customers (id),"
      "  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'push')),"
      "  event TEXT NOT NULL,"
      "  recipient TEXT,"
      "  subject TEXT,"
      "  body TEXT,"
      "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),"
      "  error TEXT,"
      "  attempts INTEGER NOT NULL DEFAULT 0,"
      "  created_at INTEGER NOT NULL,"
      "  next_attempt_at INTEGER,"
      "  sent_at INTEGER"
      ");"
      "CREATE INDEX notifications_due ON notifications (status, next_attempt_at);"
      "CREATE INDEX notifications_customer ON notifications (customer_id, created_at);"
      "CREATE TABLE sync_outbox ("
      "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  event_id TEXT NOT NULL UNIQUE,"
      "  entity TEXT NOT NULL,"
      "  entity_id TEXT NOT NULL,"
      "  op TEXT NOT NULL,"
      "  payload TEXT NOT NULL,"
      "  created_at INTEGER NOT NULL"
      ");";

/* Products for the till, refunds, and the ledger made append-only by the
 * database itself. */
static const char migration_2[]
    = "CREATE TABLE products ("
      "  sku TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL,"
      "  category TEXT,"
      "  price INTEGER NOT NULL CHECK (price >= 0)"
      ");"
      "CREATE TABLE refunds ("
      "  id TEXT PRIMARY KEY,"
      "  purchase_id TEXT NOT NULL REFERENCES purchases (id),"
      "  amount INTEGER NOT NULL,"
      "  bonus_reversed INTEGER NOT NULL,"
      "  bonus_returned INTEGER NOT NULL,"
      "  created_at INTEGER NOT NULL"
      ");"
      "CREATE INDEX refunds_purchase ON refunds (purchase_id);"
      "CREATE TRIGGER bonus_transactions_no_update BEFORE UPDATE ON bonus_transactions"
      "  BEGIN SELECT RAISE (ABORT, 'the bonus ledger is append-only'); END;"
      "CREATE TRIGGER bonus_transactions_no_delete BEFORE DELETE ON bonus_transactions"
      "  BEGIN SELECT RAISE (ABORT, 'the bonus ledger is append-only'); END;";

/* A counter that moves whenever a rule or campaign is edited (not when a
 * sale bumps `uses` or `spent`), so a connection can keep the live rules in
 * memory and know when to read them again. */
static const char migration_3[]
    = "CREATE TABLE change_counters ("
      "  name TEXT PRIMARY KEY,"
      "  value INTEGER NOT NULL"
      ") WITHOUT ROWID;"
      "INSERT INTO change_counters (name, value) VALUES ('rules', 0);"
      "CREATE TRIGGER discount_rules_edited_insert AFTER INSERT ON discount_rules"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;"
      "CREATE TRIGGER discount_rules_edited_delete AFTER DELETE ON discount_rules"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;"
      "CREATE TRIGGER discount_rules_edited_update AFTER UPDATE OF"
      "  id, name, description, type, value, min_purchase, max_discount, store_ids, categories,"
      "  segments, usage_limit_total, usage_limit_per_customer, valid_from, valid_until, is_active,"
      "  priority, stackable, campaign_id, version ON discount_rules"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;"
      "CREATE TRIGGER campaigns_edited_insert AFTER INSERT ON campaigns"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;"
      "CREATE TRIGGER campaigns_edited_delete AFTER DELETE ON campaigns"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;"
      "CREATE TRIGGER campaigns_edited_update AFTER UPDATE OF"
      "  id, name, description, starts_at, ends_at, status, segments, store_ids, channels, budget,"
      "  version ON campaigns"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;";

/* Accounts of the central server: argon2id password hashes, and bearer
 * tokens kept only as their SHA-256. */
static const char migration_4[]
    = "CREATE TABLE users ("
      "  id TEXT PRIMARY KEY,"
      "  username TEXT NOT NULL UNIQUE,"
      "  password_hash TEXT NOT NULL,"
      "  role TEXT NOT NULL CHECK (role IN ('admin', 'marketing', 'manager', 'cashier')),"
      "  store_id TEXT REFERENCES stores (id),"
      "  created_at INTEGER NOT NULL,"
      "  disabled INTEGER NOT NULL DEFAULT 0,"
      "  CHECK (role IN ('admin', 'marketing') OR store_id IS NOT NULL)"
      ");"
      "CREATE TABLE tokens ("
      "  token_hash TEXT PRIMARY KEY,"
      "  user_id TEXT NOT NULL REFERENCES users (id),"
      "  created_at INTEGER NOT NULL,"
      "  expires_at INTEGER NOT NULL,"
      "  revoked INTEGER NOT NULL DEFAULT 0"
      ");"
      "CREATE INDEX tokens_user ON tokens (user_id);";

/* Figures per day and store, kept as a cache for the charts: a day's rows
 * are made from the purchases when first asked for, and dropped by these
 * triggers whenever a purchase of that day is added, changed or removed.
 * Distinct customers over many days add up through a HyperLogLog sketch. */
static const char migration_5[]
    = "CREATE TABLE daily_stats_days ("
      "  day INTEGER PRIMARY KEY"
      ");"
      "CREATE TABLE daily_stats ("
      "  day INTEGER NOT NULL REFERENCES daily_stats_days (day) ON DELETE CASCADE,"
      "  store_id TEXT NOT NULL,"
      "  purchases INTEGER NOT NULL,"
      "  revenue INTEGER NOT NULL,"
      "  discounts INTEGER NOT NULL,"
      "  bonus_earned INTEGER NOT NULL,"
      "  bonus_spent INTEGER NOT NULL,"
      "  customers INTEGER NOT NULL,"
      "  customers_sketch BLOB NOT NULL,"
      "  PRIMARY KEY (day, store_id)"
      ") WITHOUT ROWID;"
      "CREATE TRIGGER purchases_daily_insert AFTER INSERT ON purchases"
      "  BEGIN DELETE FROM daily_stats_days WHERE day = NEW.created_at / 86400000000; END;"
      "CREATE TRIGGER purchases_daily_update AFTER UPDATE ON purchases"
      "  BEGIN DELETE FROM daily_stats_days WHERE day IN"
      "    (OLD.created_at / 86400000000, NEW.created_at / 86400000000); END;"
      "CREATE TRIGGER purchases_daily_delete AFTER DELETE ON purchases"
      "  BEGIN DELETE FROM daily_stats_days WHERE day = OLD.created_at / 86400000000; END;";

/* Rule effectiveness per day and store, in the same cache as migration 5;
 * the days cached before it are dropped so they are made again whole. The
 * time index also covers the purchase id, so a day is read from it alone. */
static const char migration_6[]
    = "DROP INDEX purchases_time;"
      "CREATE INDEX purchases_time ON purchases (created_at, store_id, subtotal, discount_total,"
      "  refunded_total, bonus_spent, bonus_earned, customer_id, id);"
      "CREATE TABLE daily_rule_stats ("
      "  day INTEGER NOT NULL REFERENCES daily_stats_days (day) ON DELETE CASCADE,"
      "  store_id TEXT NOT NULL,"
      "  rule_id TEXT NOT NULL,"
      "  uses INTEGER NOT NULL,"
      "  discount INTEGER NOT NULL,"
      "  revenue INTEGER NOT NULL,"
      "  PRIMARY KEY (day, store_id, rule_id)"
      ") WITHOUT ROWID;"
      "DELETE FROM daily_stats_days;";

/* On PostgreSQL, a change to an account or a token is announced to every
 * server on the database (NOTIFY skidka_accounts, by triggers the backend
 * adds), so a server may keep the tokens it has checked until then. On
 * SQLite there is nobody to tell: its server checks every time. */
static const char migration_7[] = "";

/* So that a calculation need not read the live counts nor check its store
 * every time: a second counter, 'sales', moves when a sale (or a refund)
 * changes what a calculation reads (sk_db_query_engine_context), the uses of a rule with a
 * usage limit or the spending of a campaign with a budget; and 'rules' now
 * also moves when a store is added, removed or renumbered, as the live rules
 * cache keeps the store ids too. On PostgreSQL, the account triggers of
 * migration 7 become per row. */
static const char migration_8[]
    = "INSERT INTO change_counters (name, value) VALUES ('sales', 0);"
      "CREATE TRIGGER discount_rules_used AFTER UPDATE OF uses ON discount_rules"
      "  WHEN NEW.usage_limit_total > 0 AND NEW.uses <> OLD.uses"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'sales'; END;"
      "CREATE TRIGGER campaigns_spent AFTER UPDATE OF spent ON campaigns"
      "  WHEN NEW.budget > 0 AND NEW.spent <> OLD.spent"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'sales'; END;"
      "CREATE TRIGGER stores_edited_insert AFTER INSERT ON stores"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;"
      "CREATE TRIGGER stores_edited_delete AFTER DELETE ON stores"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;"
      "CREATE TRIGGER stores_edited_update AFTER UPDATE OF id ON stores"
      "  BEGIN UPDATE change_counters SET value = value + 1 WHERE name = 'rules'; END;";

/* What a sale's request was, so that its id replayed with another body is
 * told apart from a replay (SPEC 5, idempotency): the SHA-256 of the
 * request's canonical form (sk-pipeline.c). Sales made before have none. */
static const char migration_9[]
    = "ALTER TABLE purchases ADD COLUMN request_hash TEXT;"
      /* The chain's notifications newest first, a page at a time. */
      "CREATE INDEX notifications_time ON notifications (created_at, id);";

/* Sync (SPEC 6): the change feed tills pull. Every change to what a till
 * keeps (stores, rules, campaigns, products, customers with their balances,
 * figures and children, the chain's settings) leaves a row here, written by
 * triggers in the writer's own transaction. The feed keeps one row per
 * record, its latest change: a trigger deletes the record's earlier row as
 * it adds the new one, so the table stays as large as the data, a pull from
 * the start is a full copy, and no cursor ever expires (tombstones are kept
 * too). seq numbers the rows; SQLite has one writer at a time, so seq is
 * commit order. xid is the writing transaction on PostgreSQL (commit order
 * there is (xid, seq) read below the snapshot's xmin; sk-change-feed.c) and
 * 0 here. op 'merge' says that a customer id became an alias of
 * merged_into. epoch tells this feed from any other, so a cursor of another
 * database is refused. The macros make text of this migration: never change
 * them. */
/* clang-format off */
#define FEED_ADD(kind, key, op)                                                                    \
  "DELETE FROM changes WHERE entity = '" kind "' AND entity_id = " key ";"                         \
  "INSERT INTO changes (entity, entity_id, op) VALUES ('" kind "', " key ", '" op "');"
#define FEED_TRIGGERS_WHEN(table, kind, key, when)                                                 \
  "CREATE TRIGGER " table "_feed_insert AFTER INSERT ON " table when " BEGIN "                     \
  FEED_ADD (kind, "NEW." key, "upsert") " END;"                                                    \
  "CREATE TRIGGER " table "_feed_update AFTER UPDATE ON " table when " BEGIN "                     \
  "DELETE FROM changes WHERE entity = '" kind "' AND entity_id = OLD." key " AND OLD." key         \
  " <> NEW." key ";"                                                                               \
  "INSERT INTO changes (entity, entity_id, op) SELECT '" kind "', OLD." key ", 'delete'"          \
  " WHERE OLD." key " <> NEW." key ";" FEED_ADD (kind, "NEW." key, "upsert") " END;"               \
  "CREATE TRIGGER " table "_feed_delete AFTER DELETE ON " table when " BEGIN "                     \
  FEED_ADD (kind, "OLD." key, "delete") " END;"
#define FEED_TRIGGERS(table, kind, key) FEED_TRIGGERS_WHEN (table, kind, key, "")
/* The settings a till takes from HQ; the others (device_id) are its own. */
#define FEED_CHAIN_SETTINGS                                                                        \
  "('bonus_expiry_days', 'segment_vip_visits', 'segment_vip_spent', 'segment_regular_visits')"

/* What there is already, in an order a till can insert it. */
#define FEED_SEED                                                                                  \
  "INSERT INTO changes (entity, entity_id, op) SELECT 'setting', key, 'upsert' FROM settings"     \
  "  WHERE key IN " FEED_CHAIN_SETTINGS " ORDER BY key;"                                          \
  "INSERT INTO changes (entity, entity_id, op) SELECT 'store', id, 'upsert' FROM stores"          \
  "  ORDER BY id;"                                                                                 \
  "INSERT INTO changes (entity, entity_id, op) SELECT 'campaign', id, 'upsert' FROM campaigns"    \
  "  ORDER BY id;"                                                                                 \
  "INSERT INTO changes (entity, entity_id, op)"                                                    \
  "  SELECT 'rule', id, 'upsert' FROM discount_rules ORDER BY id;"                                \
  "INSERT INTO changes (entity, entity_id, op) SELECT 'product', sku, 'upsert' FROM products"     \
  "  ORDER BY sku;"                                                                                \
  "INSERT INTO changes (entity, entity_id, op) SELECT 'customer', id, 'upsert' FROM customers"    \
  "  ORDER BY id;"

static const char migration_10[]
    = "CREATE TABLE changes ("
      "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  xid INTEGER NOT NULL DEFAULT 0,"
      "  entity TEXT NOT NULL"
      "    CHECK (entity IN ('store', 'rule', 'campaign', 'product', 'customer', 'setting')),"
      "  entity_id TEXT NOT NULL,"
      "  op TEXT NOT NULL CHECK (op IN ('upsert', 'delete', 'merge')),"
      "  merged_into TEXT,"
      "  CHECK ((op = 'merge') = (merged_into IS NOT NULL))"
      ");"
      "CREATE INDEX changes_entity ON changes (entity, entity_id);"
      "CREATE TABLE change_feed ("
      "  epoch TEXT NOT NULL"
      ");"
      "INSERT INTO change_feed (epoch) VALUES (lower (hex (randomblob (16))));"
      FEED_SEED
      FEED_TRIGGERS ("stores", "store", "id")
      FEED_TRIGGERS ("campaigns", "campaign", "id")
      FEED_TRIGGERS ("discount_rules", "rule", "id")
      FEED_TRIGGERS ("products", "product", "sku")
      FEED_TRIGGERS ("customers", "customer", "id")
      /* A child changed is its customer changed (unless the customer is
       * going: then its own trigger writes the tombstone). */
      "CREATE TRIGGER customer_children_feed_insert AFTER INSERT ON customer_children BEGIN "
      FEED_ADD ("customer", "NEW.customer_id", "upsert") " END;"
      "CREATE TRIGGER customer_children_feed_update AFTER UPDATE ON customer_children BEGIN "
      FEED_ADD ("customer", "NEW.customer_id", "upsert") " END;"
      "CREATE TRIGGER customer_children_feed_delete AFTER DELETE ON customer_children"
      "  WHEN EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id) BEGIN "
      FEED_ADD ("customer", "OLD.customer_id", "upsert") " END;"
      "CREATE TRIGGER settings_feed_insert AFTER INSERT ON settings"
      "  WHEN NEW.key IN " FEED_CHAIN_SETTINGS " BEGIN "
      FEED_ADD ("setting", "NEW.key", "upsert") " END;"
      "CREATE TRIGGER settings_feed_update AFTER UPDATE ON settings"
      "  WHEN NEW.key IN " FEED_CHAIN_SETTINGS " BEGIN "
      FEED_ADD ("setting", "NEW.key", "upsert") " END;"
      "CREATE TRIGGER settings_feed_delete AFTER DELETE ON settings"
      "  WHEN OLD.key IN " FEED_CHAIN_SETTINGS " BEGIN "
      FEED_ADD ("setting", "OLD.key", "delete") " END;";
/* clang-format on */

/* Sync (SPEC 6): devices and the events they push. A till is bound at its
 * first push to the store of the account that pushed; acked_seq is the
 * highest sequence acknowledged. Every event pushed is kept with its first
 * answer (applied, duplicate: already recorded under another event, or
 * rejected), so a replay answers the same; exactly once is the primary key
 * and UNIQUE (device_id, seq), never a check before the insert. review is a
 * JSON array of what HQ should look at (a negative balance, a limit
 * exceeded offline, a field conflict, a clock far off), NULL when nothing. */
static const char migration_11[]
    = "CREATE TABLE devices ("
      "  id TEXT PRIMARY KEY,"
      "  store_id TEXT NOT NULL REFERENCES stores (id),"
      "  user_id TEXT REFERENCES users (id),"
      "  app_version TEXT,"
      "  acked_seq INTEGER NOT NULL DEFAULT 0,"
      "  created_at INTEGER NOT NULL,"
      "  last_seen_at INTEGER NOT NULL"
      ");"
      "CREATE TABLE sync_events ("
      "  id TEXT PRIMARY KEY,"
      "  device_id TEXT NOT NULL REFERENCES devices (id),"
      "  seq INTEGER NOT NULL CHECK (seq > 0),"
      "  kind TEXT NOT NULL,"
      "  status TEXT NOT NULL CHECK (status IN ('applied', 'duplicate', 'rejected')),"
      "  duplicate_of TEXT,"
      "  result TEXT,"
      "  code TEXT,"
      "  message TEXT,"
      "  field TEXT,"
      "  review TEXT,"
      "  resolved_at INTEGER,"
      "  user_id TEXT,"
      "  created_at INTEGER,"
      "  received_at INTEGER NOT NULL,"
      "  UNIQUE (device_id, seq)"
      ");"
      "CREATE INDEX sync_events_status ON sync_events (status, received_at);";

/* A random id in a UUID's form (the review list's cursor holds one). Part
 * of migration 12's text: never change it. */
#define SQLITE_UUID                                                                                \
  "lower (hex (randomblob (4)) || '-' || hex (randomblob (2)) || '-' || hex (randomblob (2))"      \
  " || '-' || hex (randomblob (2)) || '-' || hex (randomblob (6)))"

/* Sync (SPEC 6): what HQ should look at, an item a row, so that each is
 * listed a page at a time, by store, and resolved on its own. Push writes
 * them in the event's transaction: a rejected event, and each item of its
 * review (negative_balance, field_conflict, clock_ahead,
 * usage_limit_exceeded, budget_exceeded, refund_differs, and whatever push
 * learns to list). details is the item as push saw it (JSON); store_id the
 * device's store. Items of events pushed before are taken from
 * sync_events, which keeps its review and resolved_at as they were. */
static const char migration_12[]
    = "CREATE TABLE sync_reviews ("
      "  id TEXT PRIMARY KEY,"
      "  event_id TEXT NOT NULL REFERENCES sync_events (id),"
      "  device_id TEXT NOT NULL REFERENCES devices (id),"
      "  store_id TEXT NOT NULL REFERENCES stores (id),"
      "  kind TEXT NOT NULL,"
      "  customer_id TEXT,"
      "  details TEXT NOT NULL,"
      "  created_at INTEGER NOT NULL,"
      "  resolved_at INTEGER,"
      "  resolved_by TEXT REFERENCES users (id)"
      ");"
      "CREATE INDEX sync_reviews_time ON sync_reviews (created_at, id);"
      "CREATE INDEX sync_reviews_event ON sync_reviews (event_id);"
      "INSERT INTO sync_reviews (id, event_id, device_id, store_id, kind, customer_id, details,"
      "  created_at, resolved_at)"
      "  SELECT " SQLITE_UUID ", e.id, e.device_id, d.store_id, 'rejected_event',"
      "    NULL, json_object ('code', e.code, 'message', e.message, 'field', e.field),"
      "    e.received_at, e.resolved_at"
      "  FROM sync_events AS e JOIN devices AS d ON d.id = e.device_id"
      "  WHERE e.status = 'rejected';"
      "INSERT INTO sync_reviews (id, event_id, device_id, store_id, kind, customer_id, details,"
      "  created_at, resolved_at)"
      "  SELECT " SQLITE_UUID ", e.id, e.device_id, d.store_id,"
      "    coalesce (json_extract (j.value, '$.type'), 'other'),"
      "    json_extract (j.value, '$.customer_id'), j.value, e.received_at, e.resolved_at"
      "  FROM sync_events AS e JOIN devices AS d ON d.id = e.device_id, json_each (e.review) AS j"
      "  WHERE e.review IS NOT NULL AND json_valid (e.review);";

/* Sync (SPEC 6): one person registered offline at two tills is one
 * customer. HQ keeps the first registration and records the second's id
 * as its alias; a till that learns the merge moves its own rows of the
 * alias to the survivor. The ledger stays append-only: a row may change
 * only its customer, and only from an alias to the customer it is an
 * alias of (list every other column of bonus_transactions here). */
static const char migration_13[]
    = "CREATE TABLE customer_aliases ("
      "  alias_id TEXT PRIMARY KEY,"
      "  customer_id TEXT NOT NULL REFERENCES customers (id),"
      "  created_at INTEGER NOT NULL"
      ");"
      "CREATE INDEX customer_aliases_customer ON customer_aliases (customer_id);"
      "DROP TRIGGER bonus_transactions_no_update;"
      "CREATE TRIGGER bonus_transactions_no_update BEFORE UPDATE ON bonus_transactions"
      "  WHEN NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.amount IS NOT OLD.amount"
      "    OR NEW.balance_after IS NOT OLD.balance_after OR NEW.reason IS NOT OLD.reason"
      "    OR NEW.purchase_id IS NOT OLD.purchase_id OR NEW.store_id IS NOT OLD.store_id"
      "    OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at"
      "    OR NOT EXISTS (SELECT 1 FROM customer_aliases WHERE alias_id = OLD.customer_id"
      "      AND customer_id = NEW.customer_id)"
      "  BEGIN SELECT RAISE (ABORT, 'the bonus ledger is append-only'); END;";

/* Products edited at HQ (issue 12): a version for optimistic concurrency
 * (the rows there are version 1), and the barcode a scanner reads, which is
 * not the SKU: unique where set. The category index serves the list of
 * categories each save matches its spelling against. */
static const char migration_14[]
    = "ALTER TABLE products ADD COLUMN barcode TEXT;"
      "ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 1;"
      "CREATE UNIQUE INDEX products_barcode ON products (barcode);"
      "CREATE INDEX products_category ON products (category);";

/* Customer search folds ё into е (a cashier types "Федор" for
 * "Фёдоров"): the stored name keys (decomposed: е and U+0308) lose the
 * diaeresis the same way. */
static const char migration_15[]
    = "UPDATE customers SET name_key = replace (name_key, 'е\xcc\x88', 'е')"
      " WHERE name_key LIKE '%е\xcc\x88%';";

/* Store-local days (issue 16, sales per day by the store's day): the
 * per-day cache's day is now each store's local calendar day
 * (sk-analytics.c), which starts up to 14 hours either side of the UTC
 * day; so a purchase's change drops its UTC day and the days on each side,
 * and a store's time zone changed drops them all. The cache is made again. */
static const char migration_16[]
    = "DROP TRIGGER purchases_daily_insert;"
      "DROP TRIGGER purchases_daily_update;"
      "DROP TRIGGER purchases_daily_delete;"
      "CREATE TRIGGER purchases_daily_insert AFTER INSERT ON purchases"
      "  BEGIN DELETE FROM daily_stats_days WHERE day BETWEEN"
      "    NEW.created_at / 86400000000 - 1 AND NEW.created_at / 86400000000 + 1; END;"
      "CREATE TRIGGER purchases_daily_update AFTER UPDATE ON purchases"
      "  BEGIN DELETE FROM daily_stats_days WHERE day BETWEEN"
      "    OLD.created_at / 86400000000 - 1 AND OLD.created_at / 86400000000 + 1"
      "    OR day BETWEEN NEW.created_at / 86400000000 - 1 AND NEW.created_at / 86400000000 + 1;"
      "  END;"
      "CREATE TRIGGER purchases_daily_delete AFTER DELETE ON purchases"
      "  BEGIN DELETE FROM daily_stats_days WHERE day BETWEEN"
      "    OLD.created_at / 86400000000 - 1 AND OLD.created_at / 86400000000 + 1; END;"
      "CREATE TRIGGER stores_daily_timezone AFTER UPDATE OF timezone ON stores"
      "  WHEN coalesce (OLD.timezone, '') <> coalesce (NEW.timezone, '')"
      "  BEGIN DELETE FROM daily_stats_days; END;"
      "DELETE FROM daily_stats_days;";

/* Delivery of notifications (issue 15): a worker claims a due row for a
 * while (lease_owner, lease_until) before it sends it, so that several
 * servers on one database send each once and a server killed mid-delivery
 * leaves it to another once the lease runs out; campaign_id ties an
 * announcement to its campaign's figures, unsubscribed_at the links followed
 * from it; dedup_key keeps a job run twice (birthdays, an announcement)
 * from queueing a message twice. The texts are templates per event and
 * language, Russian and English shipped. */
static const char migration_17[]
    = "ALTER TABLE notifications ADD COLUMN lease_owner TEXT;"
      "ALTER TABLE notifications ADD COLUMN lease_until INTEGER;"
      "ALTER TABLE notifications ADD COLUMN campaign_id TEXT;"
      "ALTER TABLE notifications ADD COLUMN dedup_key TEXT;"
      "ALTER TABLE notifications ADD COLUMN unsubscribed_at INTEGER;"
      "CREATE INDEX notifications_campaign ON notifications (campaign_id, status);"
      "CREATE UNIQUE INDEX notifications_dedup ON notifications (dedup_key);"
      "CREATE INDEX customer_children_birthday ON customer_children (substr (birth_date, 5));"
      "CREATE TABLE notification_templates ("
      "  event TEXT NOT NULL,"
      "  language TEXT NOT NULL,"
      "  subject TEXT NOT NULL,"
      "  body TEXT NOT NULL,"
      "  version INTEGER NOT NULL DEFAULT 1,"
      "  PRIMARY KEY (event, language)"
      ");"
      "INSERT INTO notification_templates (event, language, subject, body) VALUES"
      "  ('bonus_earned', 'ru', 'Вам начислено {amount} бонусами',"
      "   '{name}, спасибо за покупку в магазине «{store}»! Вам начислено {amount} бонусами, на "
      "счёте теперь {balance}.'),"
      "  ('bonus_earned', 'en', 'You earned {amount} in bonuses',"
      "   '{name}, thank you for your purchase at {store}! You earned {amount} in bonuses; your "
      "balance is now {balance}.'),"
      "  ('birthday', 'ru', 'Скоро день рождения: {child}',"
      "   '{name}, скоро праздник: {child} отмечает день рождения ({age})! Приходите в «{store}» "
      "за подарком. Ваш бонусный счёт: {balance}.'),"
      "  ('birthday', 'en', 'A birthday is coming: {child}',"
      "   '{name}, {child} turns {age} in a few days! Come to {store} for a present; you have "
      "{balance} in bonuses.'),"
      "  ('campaign', 'ru', '{campaign}',"
      "   '{name}, {campaign}: {description}'),"
      "  ('campaign', 'en', '{campaign}',"
      "   '{name}, {campaign}: {description}');";

/* The receipt by e-mail (issue 14): a till queues it for a customer who
 * consented, HQ delivers it; its texts per language. */
static const char migration_18[]
    = "INSERT INTO notification_templates (event, language, subject, body) VALUES"
      "  ('receipt', 'ru', 'Ваш чек: {store}',"
      "   '{name}, спасибо за покупку в магазине «{store}»! Ваш чек на {amount}:\n\n{receipt}'),"
      "  ('receipt', 'en', 'Your receipt from {store}',"
      "   '{name}, thank you for your purchase at {store}! Your receipt for "
      "{amount}:\n\n{receipt}');";

/* A till takes HQ's feed and keeps none of its own: its triggers would
 * write a row of `changes` for every record a pull applies, which nobody
 * reads, at a third of the pull's cost. The feed is written while kept;
 * a till's first pull clears it (sk_database_apply_changes), and a server
 * that finds it cleared builds the feed again (sk_database_keep_change_feed). */
#define FEED_KEPT " WHEN (SELECT kept FROM change_feed)"
#define FEED_DROP(table)                                                                           \
  "DROP TRIGGER " table "_feed_insert; DROP TRIGGER " table "_feed_update;"                        \
  "DROP TRIGGER " table "_feed_delete;"
/* clang-format off */
static const char migration_19[]
    = "ALTER TABLE change_feed ADD COLUMN kept INTEGER NOT NULL DEFAULT 1;"
      FEED_DROP ("stores") FEED_DROP ("campaigns") FEED_DROP ("discount_rules")
      FEED_DROP ("products") FEED_DROP ("customers") FEED_DROP ("customer_children")
      FEED_DROP ("settings")
      FEED_TRIGGERS_WHEN ("stores", "store", "id", FEED_KEPT)
      FEED_TRIGGERS_WHEN ("campaigns", "campaign", "id", FEED_KEPT)
      FEED_TRIGGERS_WHEN ("discount_rules", "rule", "id", FEED_KEPT)
      FEED_TRIGGERS_WHEN ("products", "product", "sku", FEED_KEPT)
      FEED_TRIGGERS_WHEN ("customers", "customer", "id", FEED_KEPT)
      "CREATE TRIGGER customer_children_feed_insert AFTER INSERT ON customer_children"
      FEED_KEPT " BEGIN " FEED_ADD ("customer", "NEW.customer_id", "upsert") " END;"
      "CREATE TRIGGER customer_children_feed_update AFTER UPDATE ON customer_children"
      FEED_KEPT " BEGIN " FEED_ADD ("customer", "NEW.customer_id", "upsert") " END;"
      "CREATE TRIGGER customer_children_feed_delete AFTER DELETE ON customer_children"
      FEED_KEPT " AND EXISTS (SELECT 1 FROM customers WHERE id = OLD.customer_id) BEGIN "
      FEED_ADD ("customer", "OLD.customer_id", "upsert") " END;"
      "CREATE TRIGGER settings_feed_insert AFTER INSERT ON settings"
      FEED_KEPT " AND NEW.key IN " FEED_CHAIN_SETTINGS " BEGIN "
      FEED_ADD ("setting", "NEW.key", "upsert") " END;"
      "CREATE TRIGGER settings_feed_update AFTER UPDATE ON settings"
      FEED_KEPT " AND NEW.key IN " FEED_CHAIN_SETTINGS " BEGIN "
      FEED_ADD ("setting", "NEW.key", "upsert") " END;"
      "CREATE TRIGGER settings_feed_delete AFTER DELETE ON settings"
      FEED_KEPT " AND OLD.key IN " FEED_CHAIN_SETTINGS " BEGIN "
      FEED_ADD ("setting", "OLD.key", "delete") " END;";
/* clang-format on */

/* PostgreSQL's feed function made PL/pgSQL (sk-schema-postgres.c); the
 * same version of a SQLite file changes nothing. */
static const char migration_20[] = "";

/* PostgreSQL's feed function keeps a transaction's first change of a
 * record; SQLite's triggers are left as they are. */
static const char migration_21[] = "";

/* What returns took back of a purchase's discount and bonuses, kept with
 * the purchase as its refunded_total is, and each discount application's
 * share of the discount given back: the charts count a returned sale net.
 * Files with refunds get them from their refunds and lines, as the
 * pipeline's pro rata would have; the cached days are made again. */
static const char migration_22[]
    = "ALTER TABLE purchases ADD COLUMN discount_refunded INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE purchases ADD COLUMN bonus_reversed INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE purchases ADD COLUMN bonus_returned INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE discount_applications ADD COLUMN amount_refunded INTEGER NOT NULL DEFAULT 0;"
      "UPDATE purchases SET"
      "  discount_refunded = (SELECT coalesce (sum (l.discount * l.refunded_quantity / l.quantity),"
      "    0) FROM purchase_lines AS l WHERE l.purchase_id = purchases.id),"
      "  bonus_reversed = (SELECT sum (r.bonus_reversed) FROM refunds AS r"
      "    WHERE r.purchase_id = purchases.id),"
      "  bonus_returned = (SELECT sum (r.bonus_returned) FROM refunds AS r"
      "    WHERE r.purchase_id = purchases.id)"
      " WHERE id IN (SELECT purchase_id FROM refunds);"
      "UPDATE discount_applications SET amount_refunded = (SELECT"
      "  discount_applications.amount * p.discount_refunded / p.discount_total"
      "  FROM purchases AS p WHERE p.id = discount_applications.purchase_id)"
      " WHERE purchase_id IN (SELECT id FROM purchases WHERE discount_refunded > 0);"
      "DROP INDEX purchases_time;"
      "CREATE INDEX purchases_time ON purchases (created_at, store_id, subtotal, discount_total,"
      "  refunded_total, bonus_spent, bonus_earned, customer_id, id, status, discount_refunded,"
      "  bonus_reversed, bonus_returned);"
      "DELETE FROM daily_stats_days;";

/* Each discount application's campaign at the sale, whose budget it spent
 * and gets back what a return gives back of it, and its amount on each
 * line of the purchase, so that a return gives back what the rule gave the
 * lines returned. Older applications take their rule's campaign of now,
 * the best there is to know, and no lines (returns share them pro rata). */
static const char migration_23[]
    = "ALTER TABLE discount_applications ADD COLUMN campaign_id TEXT;"
      "ALTER TABLE discount_applications ADD COLUMN line_amounts TEXT;"
      "UPDATE discount_applications SET campaign_id = (SELECT r.campaign_id"
      "  FROM discount_rules AS r WHERE r.id = discount_applications.rule_id);"
      "CREATE INDEX discount_applications_campaign ON discount_applications (campaign_id)"
      " WHERE campaign_id IS NOT NULL;";

/* When each purchase was last written into this database: recorded (at
 * HQ, when the sale reached HQ, which for a till's offline sale is after
 * it was made) or returned in part, so that a till asks HQ for what
 * changed of its store's sales since it last asked; and at HQ the till
 * that pushed it, whose own sales are left out of its answer. Older
 * purchases take the time they were made. */
static const char migration_24[]
    = "ALTER TABLE purchases ADD COLUMN updated_at INTEGER;"
      "ALTER TABLE purchases ADD COLUMN device_id TEXT;"
      "UPDATE purchases SET updated_at = created_at;"
      "CREATE INDEX purchases_updated ON purchases (store_id, updated_at);";

/* Which of a till's sales it keeps from HQ (another till's of its store,
 * or its own again after a restored backup) rather than made: a till
 * drops those 14 days after HQ last wrote them, as a new till would not
 * have them (sk_database_drop_kept_sales). */
static const char migration_25[]
    = "ALTER TABLE purchases ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;"
      "CREATE INDEX purchases_kept ON purchases (updated_at) WHERE kept = 1;";

static const char *const migrations[] = {
  migration_1,  migration_2,  migration_3,  migration_4,  migration_5,  migration_6,  migration_7,
  migration_8,  migration_9,  migration_10, migration_11, migration_12, migration_13, migration_14,
  migration_15, migration_16, migration_17, migration_18, migration_19, migration_20, migration_21,
  migration_22, migration_23, migration_24, migration_25,
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == SK_SCHEMA_VERSION);

/* The feed of a SQLite file begun again from what it holds, under a new
 * epoch (so that every till's cursor is refused and it copies in full). */
static const char feed_restart[]
    = "DELETE FROM changes;"
      "UPDATE change_feed SET epoch = lower (hex (randomblob (16))), kept = 1;" FEED_SEED;

const char *
sk_schema_feed_restart (void)
{
  return feed_restart;
}

const char *
sk_schema_migration (int version)
{
  g_return_val_if_fail (version >= 1 && version <= SK_SCHEMA_VERSION, NULL);
  return migrations[version - 1];
}
