/* sk-notify-events.c: what puts notifications in the outbox: templates per
 * event and language, the bonuses of a sale, the birthday job and a
 * campaign's announcement. Every message is queued only on the channels
 * the customer consented to, with a recipient; a dedup key keeps a job
 * that runs twice from queueing one twice.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-notifications-private.h"

#define MAX_SUBJECT 200
#define MAX_BODY    2000

static const char *const events[] = { "bonus_earned", "birthday", "campaign", "receipt", NULL };
static const char *const placeholders[]
    = { "name",  "child",    "age",         "amount",  "balance",
        "store", "campaign", "description", "receipt", NULL };

/* Templates */

void
sk_notification_template_free (SkNotificationTemplate *t)
{
  if (t == NULL)
    return;
  g_free (t->event);
  g_free (t->language);
  g_free (t->subject);
  g_free (t->body);
  g_free (t);
}

static const SkMember template_members[] = {
  SK_MEMBER (SkNotificationTemplate, STRING, event),
  SK_MEMBER (SkNotificationTemplate, STRING, language),
  SK_MEMBER (SkNotificationTemplate, STRING, subject),
  SK_MEMBER (SkNotificationTemplate, STRING, body),
  SK_MEMBER (SkNotificationTemplate, INT64, version),
};

JsonNode *
sk_notification_template_to_json (const SkNotificationTemplate *t)
{
  return sk_json_from_struct (t, template_members, G_N_ELEMENTS (template_members));
}

SkNotificationTemplate *
sk_notification_template_from_json (JsonNode *node, GError **error)
{
  g_autoptr (SkNotificationTemplate) t = g_new0 (SkNotificationTemplate, 1);

  if (!sk_json_to_struct (node, t, template_members, G_N_ELEMENTS (template_members))
      || t->event == NULL || t->language == NULL || t->subject == NULL || t->body == NULL)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                          _ ("A template has an event, a language, a subject and a body"));
      return NULL;
    }
  return g_steal_pointer (&t);
}

static SkNotificationTemplate *
template_from_row (SkStmt *stmt)
{
  SkNotificationTemplate *t = g_new0 (SkNotificationTemplate, 1);

  t->event = g_strdup (sk_stmt_text (stmt, 0));
  t->language = g_strdup (sk_stmt_text (stmt, 1));
  t->subject = g_strdup (sk_stmt_text (stmt, 2));
  t->body = g_strdup (sk_stmt_text (stmt, 3));
  t->version = sk_stmt_int64 (stmt, 4);
  return t;
}

GPtrArray *
sk_database_list_notification_templates (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  return sk_db_query_rows (
      self,
      sk_db_query (self, error,
                   "SELECT event, language, subject, body, version FROM notification_templates"
                   " ORDER BY event, language",
                   ""),
      (SkRowFunc)template_from_row, NULL, (GDestroyNotify)sk_notification_template_free, error);
}

/* The template the query @stmt finds, if any; NULL and no error if none. */
static SkNotificationTemplate *
find_template (SkDatabase *self, SkStmt *stmt, GError **error)
{
  SkNotificationTemplate *t = NULL;
  gboolean                has_row = FALSE;

  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return NULL;
  if (has_row)
    t = template_from_row (stmt);
  sk_stmt_reset (stmt);
  return t;
}

SkNotificationTemplate *
sk_database_get_notification_template (SkDatabase *self,
                                       const char *event,
                                       const char *language,
                                       GError    **error)
{
  g_autoptr (GError) local = NULL;
  SkNotificationTemplate *t;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  t = find_template (self,
                     sk_db_query (self, &local,
                                  "SELECT event, language, subject, body, version"
                                  " FROM notification_templates WHERE event = ? AND language = ?",
                                  "ss", event, language),
                     &local);
  if (local != NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  else if (t == NULL)
    g_set_error (error, SK_ERROR, SK_ERROR_NOT_FOUND, _ ("No template of %s in %s"), event,
                 language);
  return t;
}

/* Every {word} of @text (@field, @field_name in the user's words) is a
 * placeholder we fill. */
static gboolean
placeholders_known (const char *text, const char *field, const char *field_name, GError **error)
{
  for (const char *p = strchr (text, '{'); p != NULL; p = strchr (p + 1, '{'))
    {
      const char      *end = strchr (p, '}');
      g_autofree char *name = end != NULL ? g_strndup (p + 1, end - p - 1) : NULL;

      if (name == NULL || !g_strv_contains (placeholders, name))
        {
          g_autofree char *known = g_strjoinv ("}, {", (char **)placeholders);
          /* What was typed, up to the next brace or a few characters. */
          g_autofree char *typed
              = end != NULL ? g_strndup (p, end - p + 1) : g_utf8_substring (p, 0, 12);

          sk_set_field_error (error, SK_ERROR_INVALID, field,
                              _ ("“%s” in the %s is not a placeholder; the placeholders are {%s}"),
                              typed, field_name, known);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
sk_notification_template_validate (const SkNotificationTemplate *t, GError **error)
{
  if (t->event == NULL || !g_strv_contains (events, t->event))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "event",
                          _ ("The event must be bonus_earned, birthday, campaign or receipt"));
      return FALSE;
    }
  if (t->language == NULL || strlen (t->language) != 2 || !g_ascii_islower (t->language[0])
      || !g_ascii_islower (t->language[1]))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "language",
                          _ ("The language must be a two-letter code such as ru or en"));
      return FALSE;
    }
  if (sk_str_is_blank (t->subject) || g_utf8_strlen (t->subject, -1) > MAX_SUBJECT)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "subject",
                          _ ("The subject must have 1 to %d characters"), MAX_SUBJECT);
      return FALSE;
    }
  if (sk_str_is_blank (t->body) || g_utf8_strlen (t->body, -1) > MAX_BODY)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "body",
                          _ ("The text must have 1 to %d characters"), MAX_BODY);
      return FALSE;
    }
  /* The fields as "in the %s" names them (Russian: "в теме", "в тексте"). */
  return placeholders_known (t->subject, "subject", C_ ("template", "subject"), error)
         && placeholders_known (t->body, "body", C_ ("template", "text"), error);
}

gboolean
sk_database_save_notification_template (SkDatabase *self, SkNotificationTemplate *t, GError **error)
{
  g_autoptr (SkNotificationTemplate) stored = NULL;
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (t != NULL, FALSE);

  if (!sk_notification_template_validate (t, error) || !sk_db_begin (self, error))
    return FALSE;
  stored = sk_database_get_notification_template (self, t->event, t->language, &local);
  if (stored == NULL && !g_error_matches (local, SK_ERROR, SK_ERROR_NOT_FOUND))
    goto fail;
  g_clear_error (&local);
  if (stored != NULL && t->version != 0 && t->version != stored->version)
    {
      g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, stored->version);

      g_set_error (&local, SK_ERROR, SK_ERROR_STALE,
                   _ ("The template was changed meanwhile (version %s)"), version);
      goto fail;
    }
  if (stored != NULL
          ? !sk_db_exec (self, &local,
                         "UPDATE notification_templates SET subject = ?, body = ?,"
                         " version = version + 1 WHERE event = ? AND language = ?",
                         "ssss", t->subject, t->body, t->event, t->language)
          : !sk_db_exec (self, &local,
                         "INSERT INTO notification_templates (event, language, subject, body)"
                         " VALUES (?, ?, ?, ?)",
                         "ssss", t->event, t->language, t->subject, t->body))
    goto fail;
  if (!sk_db_commit (self, error))
    return FALSE;
  t->version = stored != NULL ? stored->version + 1 : 1;
  return TRUE;

fail:
  sk_db_rollback (self);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

GHashTable *
sk_notification_values_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
sk_notification_values_set (GHashTable *values, const char *name, const char *value)
{
  g_hash_table_replace (values, g_strdup (name), g_strdup (value != NULL ? value : ""));
}

GHashTable *
sk_notification_sample_values (void)
{
  GHashTable      *values = sk_notification_values_new ();
  g_autofree char *amount = sk_money_format_chain (1500);
  g_autofree char *balance = sk_money_format_chain (42000);

  sk_notification_values_set (values, "name", "Анна Петрова");
  sk_notification_values_set (values, "child", "Маша");
  sk_notification_values_set (values, "age", "5");
  sk_notification_values_set (values, "amount", amount);
  sk_notification_values_set (values, "balance", balance);
  sk_notification_values_set (values, "store", "Детский мир на Тверской");
  sk_notification_values_set (values, "campaign", "Весенняя распродажа");
  sk_notification_values_set (values, "description", "скидка 20 % на игрушки");
  return values;
}

char *
sk_notification_render (const char *text, GHashTable *values)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (text != NULL, NULL);

  for (const char *p = text; *p != '\0';)
    {
      const char *end = *p == '{' ? strchr (p, '}') : NULL;

      if (end != NULL)
        {
          g_autofree char *name = g_strndup (p + 1, end - p - 1);
          const char      *value = values != NULL ? g_hash_table_lookup (values, name) : NULL;

          if (value != NULL || g_strv_contains (placeholders, name))
            {
              g_string_append (out, value != NULL ? value : "");
              p = end + 1;
              continue;
            }
        }
      g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

/* Queueing */

typedef struct
{
  const char *channel;
  gboolean    consent;
  const char *recipient;
} Channel;

/* The channels a message may go on: the customer's. */
static void
get_channels (const SkQueuedMessage *message, Channel channels[3])
{
  SkCustomer *customer = message->customer;

  channels[0] = (Channel){ "email", customer->consent_email, customer->email };
  channels[1] = (Channel){ "sms", customer->consent_sms, customer->phone };
  channels[2] = (Channel){ "push", customer->consent_push, customer->id };
}

static gboolean
channel_takes (const SkQueuedMessage *message, const Channel *channel)
{
  return channel->consent && !sk_str_is_blank (channel->recipient)
         && (message->channels == NULL || g_strv_contains (message->channels, channel->channel));
}

SkStmt *
sk_db_send_template (SkDatabase *self, const SkQueuedMessage *message, GError **error)
{
  Channel  channels[3];
  gboolean any = FALSE;

  /* Most sales are to customers who take no messages: not a query more. */
  get_channels (message, channels);
  for (guint i = 0; i < G_N_ELEMENTS (channels); i++)
    any |= channel_takes (message, &channels[i]);
  if (!any)
    return NULL;
  /* The chain's language (a setting, Russian unless set), or Russian
   * where it has no template of the event: one query, in every sale. */
  return sk_db_query_ahead (self, error,
                            "SELECT t.event, t.language, t.subject, t.body, t.version"
                            " FROM notification_templates AS t, (SELECT coalesce ((SELECT value"
                            "   FROM settings WHERE key = ?2), 'ru') AS chain) AS s"
                            " WHERE t.event = ?1 AND t.language IN (s.chain, 'ru')"
                            " ORDER BY t.language = s.chain DESC LIMIT 1",
                            "ss", message->event, SK_SETTING_NOTIFICATION_LANGUAGE);
}

gboolean
sk_db_queue_notifications (
    SkDatabase *self, const SkQueuedMessage *message, gint64 now, SkReach *queued, GError **error)
{
  g_autoptr (SkNotificationTemplate) t = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *body = NULL;
  SkCustomer      *customer = message->customer;
  SkStmt          *stmt = message->template;
  Channel          channels[3];

  if (stmt == NULL)
    stmt = sk_db_send_template (self, message, &local);
  if (stmt == NULL && local == NULL)
    return TRUE;
  t = find_template (self, stmt, &local);
  if (t == NULL && local == NULL)
    g_set_error (&local, SK_ERROR, SK_ERROR_NOT_FOUND, _ ("No template of %s in %s"),
                 message->event, "ru");
  if (t == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  subject = sk_notification_render (t->subject, message->values);
  body = sk_notification_render (t->body, message->values);
  get_channels (message, channels);
  for (guint i = 0; i < G_N_ELEMENTS (channels); i++)
    {
      g_autofree char *id = NULL;
      g_autofree char *dedup = NULL;

      if (!channel_takes (message, &channels[i]))
        continue;
      id = g_uuid_string_random ();
      if (message->dedup_key != NULL)
        dedup = g_strdup_printf ("%s:%s", message->dedup_key, channels[i].channel);
      /* A sale's (nothing counted) goes with the sale's next statement. */
      if (!(queued != NULL ? sk_db_exec : sk_db_exec_pipelined) (
              self, error,
              "INSERT INTO notifications (id, customer_id, channel, event, recipient, subject,"
              " body, status, attempts, created_at, next_attempt_at, campaign_id, dedup_key)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)"
              " ON CONFLICT (dedup_key) DO NOTHING",
              "sssssssiiss", id, customer->id, channels[i].channel, message->event,
              channels[i].recipient, subject, body, now, now, message->campaign_id, dedup))
        return FALSE;
      if (queued != NULL && sk_db_changes (self) > 0)
        *(i == 0 ? &queued->email : i == 1 ? &queued->sms : &queued->push) += 1;
    }
  return TRUE;
}

/* Birthdays */

typedef struct
{
  char *md[2]; /* "-MM-DD" of the day N days ahead (and "-02-29" on 28 Feb of a common year) */
  int   year;
  char *name;
} StoreDay;

static void
store_day_free (StoreDay *day)
{
  g_free (day->md[0]);
  g_free (day->md[1]);
  g_free (day->name);
  g_free (day);
}

static StoreDay *
store_day_new (const char *zone_name, const char *name, gint64 now, guint lead_days)
{
  g_autoptr (GTimeZone) zone = zone_name != NULL ? g_time_zone_new_identifier (zone_name) : NULL;
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = NULL;
  g_autoptr (GDateTime) target = NULL;
  StoreDay *day = g_new0 (StoreDay, 1);
  int       month, mday;

  if (zone == NULL)
    zone = g_time_zone_new_utc ();
  local = g_date_time_to_timezone (utc, zone);
  target = g_date_time_add_days (local, lead_days);
  day->year = g_date_time_get_year (target);
  month = g_date_time_get_month (target);
  mday = g_date_time_get_day_of_month (target);
  day->md[0] = g_strdup_printf ("-%02d-%02d", month, mday);
  if (month == 2 && mday == 28 && !g_date_is_leap_year (day->year))
    day->md[1] = g_strdup ("-02-29");
  day->name = g_strdup (name);
  return day;
}

gint64
sk_database_queue_birthdays (SkDatabase *self, gint64 now, guint lead_days, GError **error)
{
  g_autoptr (GHashTable) days
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)store_day_free);
  g_autoptr (GPtrArray) wanted = g_ptr_array_new ();
  SkReach        queued = { 0 };
  gboolean       has_row = FALSE;
  SkStmt        *stmt;
  GHashTableIter iter;
  StoreDay      *day;

  g_return_val_if_fail (SK_IS_DATABASE (self), -1);

  /* The day N days ahead in each store's timezone ("" stands for customers
   * with no home store: UTC). */
  g_hash_table_insert (days, g_strdup (""), store_day_new (NULL, "", now, lead_days));
  stmt = sk_db_query (self, error, "SELECT id, timezone, name FROM stores", "");
  if (stmt == NULL)
    return -1;
  while (sk_db_step (self, stmt, &has_row, error) && has_row)
    g_hash_table_insert (days, g_strdup (sk_stmt_text (stmt, 0)),
                         store_day_new (sk_stmt_is_null (stmt, 1) ? NULL : sk_stmt_text (stmt, 1),
                                        sk_stmt_text (stmt, 2), now, lead_days));
  sk_stmt_reset (stmt);
  if (error != NULL && *error != NULL)
    return -1;
  /* Timezones are at most a day apart: a few distinct days in all. */
  g_hash_table_iter_init (&iter, days);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&day))
    for (guint i = 0; i < 2; i++)
      if (day->md[i] != NULL && wanted->len < 4
          && !g_ptr_array_find_with_equal_func (wanted, day->md[i], g_str_equal, NULL))
        g_ptr_array_add (wanted, day->md[i]);
  while (wanted->len < 4)
    g_ptr_array_add (wanted, NULL);

  if (!sk_db_begin (self, error))
    return -1;
  /* The children born on one of those days (an index on the day of the
   * year, migration 17), with their parent. */
  stmt = sk_db_query (self, error,
                      "SELECT c.id, ch.name, ch.birth_date, coalesce (c.home_store_id, '')"
                      " FROM customer_children AS ch JOIN customers AS c ON c.id = ch.customer_id"
                      " WHERE substr (ch.birth_date, 5) IN (?, ?, ?, ?)"
                      "   AND (c.consent_email = 1 OR c.consent_sms = 1 OR c.consent_push = 1)"
                      " ORDER BY c.id, ch.position",
                      "ssss", wanted->pdata[0], wanted->pdata[1], wanted->pdata[2],
                      wanted->pdata[3]);
  if (stmt != NULL)
    {
      g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);

      while (sk_db_step (self, stmt, &has_row, error) && has_row)
        {
          char **row = g_new0 (char *, 5);

          for (int col = 0; col < 4; col++)
            row[col] = g_strdup (sk_stmt_is_null (stmt, col) ? "" : sk_stmt_text (stmt, col));
          g_ptr_array_add (found, row);
        }
      sk_stmt_reset (stmt);
      for (guint i = 0; (error == NULL || *error == NULL) && i < found->len; i++)
        {
          char **row = found->pdata[i];
          g_autoptr (SkCustomer) customer = NULL;
          g_autoptr (GHashTable) values = NULL;
          g_autofree char *dedup = NULL;
          g_autofree char *age = NULL;
          g_autofree char *balance = NULL;
          SkQueuedMessage  message = { 0 };
          int              born;

          day = g_hash_table_lookup (days, row[3]);
          if (day == NULL)
            day = g_hash_table_lookup (days, "");
          /* Born on the day ahead in this customer's own timezone. */
          if (strlen (row[2]) != 10
              || !(g_strcmp0 (row[2] + 4, day->md[0]) == 0
                   || g_strcmp0 (row[2] + 4, day->md[1]) == 0))
            continue;
          born = atoi (row[2]);
          if (born > day->year)
            continue;
          customer = sk_database_get_customer (self, row[0], error);
          if (customer == NULL)
            break;
          age = g_strdup_printf ("%d", day->year - born);
          balance = sk_money_format_chain (customer->bonus_balance);
          values = sk_notification_values_new ();
          sk_notification_values_set (values, "name",
                                      customer->full_name ? customer->full_name : "");
          sk_notification_values_set (values, "child", row[1]);
          sk_notification_values_set (values, "age", age);
          sk_notification_values_set (values, "balance", balance);
          sk_notification_values_set (values, "store", day->name);
          /* Once per child per year, however often the job runs. */
          dedup = g_strdup_printf ("birthday:%s:%s:%s:%d", customer->id, row[2], row[1], day->year);
          message.event = "birthday";
          message.customer = customer;
          message.values = values;
          message.dedup_key = dedup;
          if (!sk_db_queue_notifications (self, &message, now, &queued, error))
            break;
        }
    }
  if ((error != NULL && *error != NULL) || stmt == NULL)
    {
      sk_db_rollback (self);
      return -1;
    }
  if (!sk_db_commit (self, error))
    return -1;
  return queued.email + queued.sms + queued.push;
}

/* Campaign announcements */

/* The customers a campaign speaks to: its segments and its stores (none
 * listed: all), each once. */
static GPtrArray *
campaign_audience (SkDatabase *self, SkCampaign *campaign, GError **error)
{
  g_autoptr (GPtrArray) rows = NULL;
  GPtrArray *customers;
  SkStmt    *stmt;

  /* One read of the customers who take messages at all (not their
   * children: messages do not need them). */
  stmt = sk_db_query (self, error,
                      "SELECT * FROM customers"
                      " WHERE consent_email = 1 OR consent_sms = 1 OR consent_push = 1"
                      " ORDER BY id",
                      "");
  if (stmt == NULL)
    return NULL;
  rows = sk_db_query_records (self, stmt, SK_TYPE_CUSTOMER, error);
  if (rows == NULL)
    return NULL;
  customers = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < rows->len; i++)
    {
      SkCustomer *c = rows->pdata[i];

      if (campaign->segments != NULL && campaign->segments[0] != NULL
          && !g_strv_contains ((const char *const *)campaign->segments, c->segment))
        continue;
      if (campaign->store_ids != NULL && campaign->store_ids[0] != NULL
          && (c->home_store_id == NULL
              || !g_strv_contains ((const char *const *)campaign->store_ids, c->home_store_id)))
        continue;
      g_ptr_array_add (customers, g_object_ref (c));
    }
  return customers;
}

static const char *const *
campaign_channels (SkCampaign *campaign)
{
  static const char *const all[] = { "email", "sms", "push", NULL };

  return campaign->channels != NULL && campaign->channels[0] != NULL
             ? (const char *const *)campaign->channels
             : all;
}

static const SkMember reach_members[] = {
  SK_MEMBER (SkReach, INT64, customers), SK_MEMBER (SkReach, INT64, email),
  SK_MEMBER (SkReach, INT64, sms),       SK_MEMBER (SkReach, INT64, push),
  SK_MEMBER (SkReach, INT64, already),
};

/* An announcement's message to @customer_id, once per channel (the queue
 * adds the channel to the key). */
static char *
announcement_key (const char *campaign_id, const char *customer_id)
{
  return g_strdup_printf ("campaign:%s:%s", campaign_id, customer_id);
}

void
sk_reach_build (JsonBuilder *builder, const char *name, const SkReach *reach)
{
  json_builder_set_member_name (builder, name);
  sk_json_build_struct (builder, reach, reach_members, G_N_ELEMENTS (reach_members));
}

gboolean
sk_reach_from_json (JsonNode *node, const char *name, SkReach *out, GError **error)
{
  JsonObject *o
      = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  memset (out, 0, sizeof *out);
  if (o != NULL
      && sk_json_to_struct (json_object_get_member (o, name), out, reach_members,
                            G_N_ELEMENTS (reach_members)))
    return TRUE;
  sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, _ ("HQ's answer could not be read"));
  return FALSE;
}

gboolean
sk_database_campaign_reach (SkDatabase *self,
                            const char *campaign_id,
                            SkReach    *reach,
                            GError    **error)
{
  g_autoptr (SkCampaign) campaign = NULL;
  g_autoptr (GPtrArray) customers = NULL;
  g_autoptr (GHashTable) sent = NULL;
  const char *const *channels;
  SkStmt            *stmt;
  gboolean           has_row = FALSE, read;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (reach != NULL, FALSE);

  memset (reach, 0, sizeof *reach);
  campaign = sk_database_get_campaign (self, campaign_id, error);
  if (campaign == NULL)
    return FALSE;
  customers = campaign_audience (self, campaign, error);
  if (customers == NULL)
    return FALSE;
  /* What announcing it before queued (the keys it was queued under). */
  sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stmt = sk_db_query (self, error,
                      "SELECT dedup_key FROM notifications WHERE campaign_id = ?"
                      " AND dedup_key IS NOT NULL",
                      "s", campaign->id);
  if (stmt == NULL)
    return FALSE;
  while ((read = sk_db_step (self, stmt, &has_row, error)) && has_row)
    g_hash_table_add (sent, g_strdup (sk_stmt_text (stmt, 0)));
  sk_stmt_reset (stmt);
  if (!read)
    return FALSE;
  channels = campaign_channels (campaign);
  for (guint i = 0; i < customers->len; i++)
    {
      SkCustomer      *c = customers->pdata[i];
      g_autofree char *key = announcement_key (campaign->id, c->id);
      const struct
      {
        const char *channel;
        gboolean    reachable;
        gint64     *count;
      } ways[] = {
        { "email", c->consent_email && !sk_str_is_blank (c->email), &reach->email },
        { "sms", c->consent_sms && !sk_str_is_blank (c->phone), &reach->sms },
        { "push", c->consent_push, &reach->push },
      };
      gboolean any = FALSE, had = FALSE;

      for (guint w = 0; w < G_N_ELEMENTS (ways); w++)
        {
          g_autofree char *channel_key = NULL;

          if (!ways[w].reachable || !g_strv_contains (channels, ways[w].channel))
            continue;
          channel_key = g_strdup_printf ("%s:%s", key, ways[w].channel);
          if (g_hash_table_contains (sent, channel_key))
            {
              had = TRUE;
              continue;
            }
          (*ways[w].count)++;
          any = TRUE;
        }
      reach->customers += any;
      reach->already += had && !any;
    }
  return TRUE;
}

gboolean
sk_database_announce_campaign (
    SkDatabase *self, const char *campaign_id, gint64 now, SkReach *queued, GError **error)
{
  g_autoptr (SkCampaign) campaign = NULL;
  g_autoptr (GPtrArray) customers = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (queued != NULL, FALSE);

  memset (queued, 0, sizeof *queued);
  campaign = sk_database_get_campaign (self, campaign_id, error);
  if (campaign == NULL)
    return FALSE;
  /* Marketing announces what customers can take part in: not an ended
   * campaign, nor one whose budget is used up. */
  if (!sk_campaign_can_take_part (campaign, now, error))
    return FALSE;
  if (!sk_db_begin (self, error))
    return FALSE;
  customers = campaign_audience (self, campaign, error);
  for (guint i = 0; customers != NULL && i < customers->len; i++)
    {
      SkCustomer *c = customers->pdata[i];
      g_autoptr (GHashTable) values = sk_notification_values_new ();
      g_autofree char *dedup = announcement_key (campaign->id, c->id);
      g_autofree char *balance = sk_money_format_chain (c->bonus_balance);
      SkQueuedMessage  message = { 0 };
      gint64           before = queued->email + queued->sms + queued->push;

      sk_notification_values_set (values, "name", c->full_name ? c->full_name : "");
      sk_notification_values_set (values, "campaign", campaign->name);
      sk_notification_values_set (values, "description",
                                  campaign->description ? campaign->description : "");
      sk_notification_values_set (values, "balance", balance);
      message.event = "campaign";
      message.customer = c;
      message.values = values;
      message.campaign_id = campaign->id;
      message.channels = campaign_channels (campaign);
      /* Each customer once, whoever presses the button twice. */
      message.dedup_key = dedup;
      if (!sk_db_queue_notifications (self, &message, now, queued, error))
        {
          g_clear_pointer (&customers, g_ptr_array_unref);
          break;
        }
      queued->customers += queued->email + queued->sms + queued->push > before;
    }
  if (customers == NULL)
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error);
}

gboolean
sk_database_campaign_deliveries (SkDatabase           *self,
                                 const char           *campaign_id,
                                 SkCampaignDeliveries *out,
                                 GError              **error)
{
  gboolean has_row = FALSE;
  SkStmt  *stmt;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  stmt = sk_db_query (self, error,
                      "SELECT coalesce (sum (CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),"
                      " coalesce (sum (CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0),"
                      " coalesce (sum (CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0),"
                      " coalesce (sum (CASE WHEN unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END), 0)"
                      " FROM notifications WHERE campaign_id = ?",
                      "s", campaign_id);
  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return FALSE;
  if (has_row)
    {
      out->pending = sk_stmt_int64 (stmt, 0);
      out->sent = sk_stmt_int64 (stmt, 1);
      out->failed = sk_stmt_int64 (stmt, 2);
      out->unsubscribed = sk_stmt_int64 (stmt, 3);
    }
  sk_stmt_reset (stmt);
  return TRUE;
}
