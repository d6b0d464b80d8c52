/* sk-receipt.c: a sale's receipt, as text and as an e-mail.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <locale.h>

#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-money.h"
#include "sk-notifications-private.h"
#include "sk-receipt.h"
#include "sk-sale.h"

/* Does @word end a unit that a line must not be broken before: "10 %",
 * "99 ₽", "Лего — Сити" (a dash does not start a line). */
static gboolean
glues_to_previous (const char *word)
{
  static const char *const glued[] = { "%", "₽", "—", "–" };

  for (guint i = 0; i < G_N_ELEMENTS (glued); i++)
    if (g_str_has_prefix (word, glued[i]))
      return TRUE;
  return FALSE;
}

/* Appends @n spaces. */
static void
append_spaces (GString *s, glong n)
{
  for (glong i = 0; i < n; i++)
    g_string_append_c (s, ' ');
}

/* Appends @line (its trailing newline dropped) in lines of at most
 * SK_RECEIPT_WIDTH characters (not bytes: "₽", "−", "×" and Russian are
 * several bytes each), broken at its spaces; a continuation is indented
 * two more than the line's own indent. @amount (may be NULL), when @line
 * ends with it (and a "−" before it), is never broken and ends the last
 * line, or stands on a line of its own, flush right, when it does not fit
 * there. Amounts hold no breakable space (their groups are no-break
 * spaces), and a word longer than a line is cut at the edge. */
static void
append_wrapped (GString *s, const char *line, const char *amount)
{
  g_autofree char *text = g_strdup (line);
  g_autofree char *tail = NULL;
  g_auto (GStrv) words = NULL;
  glong    indent = 0, continuation, column = 0;
  gboolean first = TRUE;
  gsize    len;

  len = strlen (text);
  if (len > 0 && text[len - 1] == '\n')
    text[--len] = '\0';
  if (g_utf8_strlen (text, -1) <= SK_RECEIPT_WIDTH)
    {
      g_string_append_printf (s, "%s\n", text);
      return;
    }
  while (text[indent] == ' ')
    indent++;
  continuation = MIN (indent + 2, SK_RECEIPT_WIDTH / 2);
  if (amount != NULL && *amount != '\0' && g_str_has_suffix (text, amount) && strlen (amount) < len)
    {
      char *at = text + len - strlen (amount);

      if ((gsize)(at - text) >= strlen ("−") && g_str_has_prefix (at - strlen ("−"), "−"))
        at -= strlen ("−");
      tail = g_strdup (at);
      *at = '\0';
    }
  words = g_strsplit (g_strstrip (text + indent), " ", -1);

  append_spaces (s, indent);
  column = indent;
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *word = g_strdup (words[i]);
      glong            width;

      if (*word == '\0')
        continue;
      /* "10" and "%" go together. */
      while (words[i + 1] != NULL && glues_to_previous (words[i + 1]))
        {
          char *joined = g_strconcat (word, " ", words[++i], NULL);

          g_free (word);
          word = joined;
        }
      width = g_utf8_strlen (word, -1);
      if (!first && column + 1 + width > SK_RECEIPT_WIDTH)
        {
          g_string_append_c (s, '\n');
          append_spaces (s, continuation);
          column = continuation;
          first = TRUE;
        }
      if (!first)
        {
          g_string_append_c (s, ' ');
          column++;
        }
      /* Longer than a whole line: cut at the edge. */
      for (const char *p = word; *p != '\0';)
        {
          const char *next = g_utf8_next_char (p);

          if (column >= SK_RECEIPT_WIDTH)
            {
              g_string_append_c (s, '\n');
              append_spaces (s, continuation);
              column = continuation;
            }
          g_string_append_len (s, p, next - p);
          column++;
          p = next;
        }
      first = FALSE;
    }
  if (tail != NULL)
    {
      glong width = g_utf8_strlen (tail, -1);

      if (column + 1 + width <= SK_RECEIPT_WIDTH)
        g_string_append_c (s, ' ');
      else
        {
          g_string_append_c (s, '\n');
          append_spaces (s, MAX (SK_RECEIPT_WIDTH - width, continuation));
        }
      g_string_append (s, tail);
    }
  g_string_append_c (s, '\n');
}

/* A formatted line (of a translation: where the amount stands is its
 * choice) through append_wrapped (). */
G_GNUC_PRINTF (3, 4)
static void
append_line (GString *s, const char *amount, const char *format, ...)
{
  g_autofree char *line = NULL;
  va_list          args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  append_wrapped (s, line, amount);
}

/* A rule across the whole width. */
static void
append_rule (GString *s)
{
  for (guint i = 0; i < SK_RECEIPT_WIDTH; i++)
    g_string_append (s, "─");
  g_string_append_c (s, '\n');
}

/* A receipt's or a slip's head: the store, the time, the line that says
 * which receipt (@number, "Receipt 1a2b3c4d"), a rule. */
static void
append_head (GString *s, SkStore *store, const char *when, const char *number)
{
  append_wrapped (s, store ? sk_record_get_string (store, "name") : _ ("Skidka"), NULL);
  append_wrapped (s, when, NULL);
  append_wrapped (s, number, NULL);
  append_rule (s);
}

char *
sk_receipt_format (SkPurchase *purchase, SkCustomer *customer, SkStore *store)
{
  GString         *s = g_string_new (NULL);
  GListModel      *lines = sk_purchase_get_lines (purchase);
  GListModel      *apps = sk_purchase_get_applications (purchase);
  g_autofree char *when = sk_datetime_from_usec (sk_record_get_int64 (purchase, "created_at"));
  g_autofree char *subtotal = sk_money_format (sk_record_get_int64 (purchase, "subtotal"));
  g_autofree char *discount = sk_money_format (sk_record_get_int64 (purchase, "discount_total"));
  g_autofree char *spent = sk_money_format (sk_record_get_int64 (purchase, "bonus_spent"));
  g_autofree char *paid = sk_money_format (sk_record_get_int64 (purchase, "total_paid"));
  g_autofree char *earned = sk_money_format (sk_record_get_int64 (purchase, "bonus_earned"));
  g_autofree char *number = g_strdup_printf (_ ("Receipt %.8s\n"), sk_record_get_id (purchase));

  append_head (s, store, when, number);
  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr (SkPurchaseLine) l = g_list_model_get_item (lines, i);
      g_autofree char *price = sk_money_format (sk_record_get_int64 (l, "unit_price"));
      /* Quantity × price is what the line costs before its discount, said
       * on the next line: the two read as a sum a customer can check. */
      g_autofree char *amount = sk_money_format (sk_record_get_int64 (l, "total")
                                                 + sk_record_get_int64 (l, "discount"));

      append_wrapped (s, sk_record_get_string (l, "name"), NULL);
      append_line (s, amount, "  %" G_GINT64_FORMAT " × %s = %s",
                   sk_record_get_int64 (l, "quantity"), price, amount);
      if (sk_record_get_int64 (l, "discount") > 0)
        {
          g_autofree char *d = sk_money_format (sk_record_get_int64 (l, "discount"));

          append_line (s, d, _ ("  discount −%s\n"), d);
        }
    }
  append_rule (s);
  append_line (s, subtotal, _ ("Subtotal: %s\n"), subtotal);
  for (guint i = 0; i < g_list_model_get_n_items (apps); i++)
    {
      g_autoptr (SkDiscountApplication) a = g_list_model_get_item (apps, i);
      g_autofree char *amount = sk_money_format (sk_record_get_int64 (a, "amount"));

      /* A bonus multiplier takes no money off: its name, not "−0,00". */
      if (sk_record_get_int64 (a, "amount") == 0)
        append_line (s, NULL, "  %s", sk_record_get_string (a, "rule_name"));
      else
        append_line (s, amount, "  %s: −%s", sk_record_get_string (a, "rule_name"), amount);
    }
  if (sk_record_get_int64 (purchase, "discount_total") > 0)
    append_line (s, discount, _ ("Discount: −%s\n"), discount);
  if (sk_record_get_int64 (purchase, "bonus_spent") > 0)
    append_line (s, spent, _ ("Paid with bonuses: %s\n"), spent);
  append_line (s, paid, _ ("Paid: %s\n"), paid);
  if (customer != NULL)
    {
      g_autofree char *balance = sk_money_format (sk_record_get_int64 (customer, "bonus_balance"));

      append_line (s, earned, _ ("Bonuses earned: %s\n"), earned);
      append_line (s, balance, _ ("Bonus balance: %s\n"), balance);
    }
  return g_string_free (s, FALSE);
}

char *
sk_receipt_format_refund (SkPurchase            *purchase,
                          const gint64          *quantities,
                          const SkRefundFigures *figures,
                          SkStore               *store,
                          gint64                 when)
{
  GString         *s = g_string_new (NULL);
  GListModel      *lines = sk_purchase_get_lines (purchase);
  g_autofree char *at = sk_datetime_from_usec (when);
  g_autofree char *amount = sk_money_format (figures->amount);
  g_autofree char *money = sk_money_format (figures->money_back);
  g_autofree char *number
      = g_strdup_printf (_ ("Return to receipt %.8s\n"), sk_record_get_id (purchase));

  append_head (s, store, at, number);
  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr (SkPurchaseLine) l = g_list_model_get_item (lines, i);
      g_autofree char *back = NULL;

      if (quantities[i] <= 0)
        continue;
      back = sk_money_format (sk_refund_line_amount (l, quantities[i]));
      append_wrapped (s, sk_record_get_string (l, "name"), NULL);
      /* TRANSLATORS: a returned line of a return slip: "2 returned: 598,00 ₽". */
      append_line (s, back, _ ("  %" PRId64 " returned: %s\n"), quantities[i], back);
    }
  append_rule (s);
  append_line (s, amount, _ ("Returned: %s\n"), amount);
  if (figures->bonus_returned > 0)
    {
      g_autofree char *b = sk_money_format (figures->bonus_returned);

      append_line (s, b, _ ("Bonuses back to the card: %s\n"), b);
    }
  if (figures->bonus_reversed > 0)
    {
      g_autofree char *b = sk_money_format (figures->bonus_reversed);

      append_line (s, b, _ ("Bonuses taken back: −%s\n"), b);
    }
  append_line (s, money, _ ("Paid back: %s\n"), money);
  return g_string_free (s, FALSE);
}

/* The chain's language for its customers (the setting, Russian unless
 * set) as a locale: a receipt by e-mail reads as its message does, not as
 * the till's or the server's own language. NULL where the system has no
 * such locale (the program's stays). */
static locale_t
chain_locale (SkDatabase *self)
{
  static const struct
  {
    const char *language;
    const char *locale;
  } known[] = {
    { "ru", "ru_RU.UTF-8" },
    { "en", "en_US.UTF-8" },
    { "uk", "uk_UA.UTF-8" },
    { "kk", "kk_KZ.UTF-8" },
  };
  g_autofree char *language = sk_database_get_setting (self, SK_SETTING_NOTIFICATION_LANGUAGE);
  g_autofree char *name = NULL;

  if (sk_str_is_blank (language))
    sk_set_str (&language, "ru");
  for (guint i = 0; i < G_N_ELEMENTS (known) && name == NULL; i++)
    if (g_str_equal (language, known[i].language))
      name = g_strdup (known[i].locale);
  if (name == NULL)
    {
      g_autofree char *country = g_ascii_strup (language, -1);

      name = g_strdup_printf ("%s_%s.UTF-8", language, country);
    }
  return newlocale (LC_ALL_MASK, name, (locale_t)0);
}

/* @purchase's receipt in the chain's language, where the system has it. */
static char *
format_for_customer (SkDatabase *self, SkPurchase *purchase, SkCustomer *customer, SkStore *store)
{
  locale_t chain = chain_locale (self);
  locale_t previous = chain != (locale_t)0 ? uselocale (chain) : (locale_t)0;
  char    *text = sk_receipt_format (purchase, customer, store);

  if (chain != (locale_t)0)
    {
      uselocale (previous);
      freelocale (chain);
    }
  return text;
}

gboolean
sk_receipt_can_email (SkCustomer *customer)
{
  return customer != NULL && customer->consent_email && !sk_str_is_blank (customer->email);
}

gboolean
sk_db_queue_receipt (SkDatabase *self,
                     const char *purchase_id,
                     gint64      now,
                     gboolean    outbox,
                     gboolean   *queued,
                     GError    **error)
{
  static const char *const email[] = { "email", NULL };
  g_autoptr (SkPurchase) purchase = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GHashTable) values = sk_notification_values_new ();
  g_autofree char *text = NULL;
  g_autofree char *paid = NULL;
  g_autofree char *dedup = NULL;
  SkQueuedMessage  message = { 0 };
  SkReach          reach = { 0 };

  if (queued != NULL)
    *queued = FALSE;
  purchase = sk_database_get_purchase (self, purchase_id, error);
  if (purchase == NULL)
    return FALSE;
  if (purchase->customer_id != NULL)
    {
      customer = sk_database_get_customer (self, purchase->customer_id, error);
      if (customer == NULL)
        return FALSE;
    }
  if (customer == NULL || !sk_receipt_can_email (customer))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "customer_id",
                          customer == NULL ? _ ("The sale has no customer to send its receipt to")
                                           : _ ("The customer has not agreed to receive e-mail"));
      return FALSE;
    }
  store = sk_database_get_store (self, purchase->store_id, NULL);
  text = format_for_customer (self, purchase, customer, store);
  paid = sk_money_format_chain (purchase->total_paid);
  sk_notification_values_set (values, "name",
                              customer->full_name != NULL ? customer->full_name : "");
  sk_notification_values_set (values, "store", store != NULL ? store->name : "");
  sk_notification_values_set (values, "amount", paid);
  sk_notification_values_set (values, "receipt", text);
  dedup = g_strdup_printf ("receipt:%s", purchase->id);
  message.event = "receipt";
  message.customer = customer;
  message.values = values;
  message.dedup_key = dedup;
  message.channels = email;
  if (!sk_db_queue_notifications (self, &message, now, &reach, error))
    return FALSE;
  if (reach.email > 0 && outbox)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) payload = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "purchase_id");
      json_builder_add_string_value (b, purchase->id);
      json_builder_end_object (b);
      payload = json_builder_get_root (b);
      if (!sk_db_outbox_add (self, "notification", purchase->id, "create", payload, error))
        return FALSE;
    }
  if (queued != NULL)
    *queued = reach.email > 0;
  return TRUE;
}

gboolean
sk_database_queue_receipt (
    SkDatabase *self, const char *purchase_id, gint64 now, gboolean *queued, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (purchase_id != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  if (!sk_db_queue_receipt (self, purchase_id, now, TRUE, queued, error))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error);
}
