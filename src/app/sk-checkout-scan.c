/* sk-checkout-scan.c: the till's one scan field. What is scanned or typed
 * there is routed by what it is: a product code adds a line, a card or a
 * phone picks the customer, anything else is told inline and the field is
 * ready again. A scanner types into whatever has focus: its keys are
 * brought to the scan field wherever they land in the till.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-checkout-view-private.h"
#include "sk-widgets.h"

/* The customer cards are EAN-13 codes of the in-store range (they start
 * with 2, see sk-demo.c): a wrong check digit is a misread. */
static gboolean
ean13_valid (const char *code)
{
  int sum = 0;

  for (int i = 0; i < 12; i++)
    sum += (code[i] - '0') * (i % 2 == 0 ? 1 : 3);
  return code[12] - '0' == (10 - sum % 10) % 10;
}

typedef enum
{
  SCAN_OTHER,
  SCAN_CARD,
  SCAN_PHONE,
  SCAN_MISREAD,
} ScanKind;

/* What a code that is not a product looks like. */
static ScanKind
classify (const char *code)
{
  gsize    digits = 0, len = strlen (code);
  gboolean phone_chars = TRUE;

  for (const char *p = code; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        digits++;
      else if (!(*p == '+' && p == code) && !strchr (" -()", *p))
        phone_chars = FALSE;
    }
  if (digits == len && len == 13 && code[0] == '2')
    return ean13_valid (code) ? SCAN_CARD : SCAN_MISREAD;
  /* A card of another pattern (typed by hand at registration) is looked up
   * as typed, like a phone: the store normalises the phone. */
  if (digits == len && digits >= 4)
    return SCAN_CARD;
  if (phone_chars && digits >= 10 && digits <= 12)
    return SCAN_PHONE;
  return SCAN_OTHER;
}

void
_sk_checkout_view_scan_message (SkCheckoutView *self, gboolean error, const char *message)
{
  gtk_widget_set_visible (GTK_WIDGET (self->scan_message), message != NULL);
  if (message != NULL)
    gtk_label_set_text (self->scan_message, message);
  if (error && message != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->scan_message), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->scan_entry), "error");
      /* The cue a cashier hears without looking at the screen. */
      gtk_widget_error_bell (GTK_WIDGET (self->scan_entry));
    }
  else
    {
      /* A good scan after a failed one: the field is not red any more. */
      gtk_widget_remove_css_class (GTK_WIDGET (self->scan_message), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->scan_entry), "error");
    }
}

static void
scan_customer_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  SkCheckoutView *self = SK_CHECKOUT_VIEW (source);

  if (!sk_checkout_view_find_customer_finish (self, result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _sk_checkout_view_scan_message (self, TRUE, error->message);
}

/* "3*CODE": three of CODE; "*3": three of the last line (a quantity
 * typed before the scan, as tills take it). FALSE: @code is not such;
 * else *quantity (from 1; 0: not a quantity), *rest (CODE, empty for the
 * last line) and *dangling ("3*" and no item yet). */
static gboolean
split_quantity (char *code, gint64 *quantity, char **rest, gboolean *dangling)
{
  char   *star = strchr (code, '*');
  guint64 n;

  if (star == NULL)
    return FALSE;
  *star = '\0';
  *rest = g_strstrip (star + 1);
  g_strstrip (code);
  *dangling = *code != '\0' && **rest == '\0';
  /* "*3": the number after the star. */
  if (*code == '\0')
    {
      code = *rest;
      *rest = code + strlen (code);
    }
  *quantity = g_ascii_string_to_unsigned (code, 10, 1, 99999, &n, NULL) ? (gint64)n : 0;
  return TRUE;
}

/* The line a scan of @product adds to (its SKU at its price, as
 * sk_sale_add_line merges), or with @product NULL the last one; -1: none. */
static int
line_of (SkCheckoutView *self, SkProduct *product)
{
  GListModel *lines = sk_sale_get_lines (self->sale);
  guint       n = g_list_model_get_n_items (lines);

  for (guint i = 0; product != NULL && i < n; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (lines, i);

      if (g_strcmp0 (sk_record_get_string (line, "sku"), sk_record_get_string (product, "sku")) == 0
          && sk_record_get_int64 (line, "unit_price") == sk_record_get_int64 (product, "price"))
        return (int)i;
    }
  return product == NULL ? (int)n - 1 : -1;
}

static gint64
quantity_of (SkCheckoutView *self, int position)
{
  g_autoptr (SkPurchaseLine) line
      = position >= 0 ? g_list_model_get_item (sk_sale_get_lines (self->sale), position) : NULL;

  return line != NULL ? sk_record_get_int64 (line, "quantity") : 0;
}

/* What "N*CODE" or "*N" says: N more of CODE, or N of the last line. */
static gboolean
scan_quantity (SkCheckoutView *self, gint64 quantity, const char *rest, gboolean dangling)
{
  SkProduct *product = *rest != '\0' ? _sk_checkout_view_find_product (self, rest) : NULL;

  if (quantity == 0 || dangling || (*rest != '\0' && product == NULL)
      || (*rest == '\0' && sk_sale_get_n_lines (self->sale) == 0))
    {
      g_autofree char *msg
          = quantity == 0   ? g_strdup (_ ("A quantity is a whole number: 3*, then the item"))
            : dangling      ? g_strdup (_ ("Scan the item after the quantity, as 3* then the item"))
            : *rest == '\0' ? g_strdup (_ ("Scan the item first, then *3 sells three of it"))
                            : g_strdup_printf (_ ("No product with the code “%s”"), rest);

      _sk_checkout_view_scan_message (self, TRUE, msg);
      return FALSE;
    }
  if (product == NULL)
    {
      _sk_checkout_view_sell_quantity (self, line_of (self, NULL), quantity);
      return TRUE;
    }
  /* N more of it: one as a scan adds it, the others with it. */
  quantity += quantity_of (self, line_of (self, product));
  _sk_checkout_view_add_product (self, product);
  _sk_checkout_view_sell_quantity (self, line_of (self, product), quantity);
  return TRUE;
}

gboolean
sk_checkout_view_scan (SkCheckoutView *self, const char *text)
{
  g_autofree char *code = NULL;
  SkProduct       *product;
  ScanKind         kind;

  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  /* The field is ready for the next scan whatever this one was. */
  code = g_strstrip (g_strdup (text));
  gtk_editable_set_text (GTK_EDITABLE (self->scan_entry), "");
  _sk_checkout_view_scan_message (self, FALSE, NULL);
  _sk_checkout_view_focus_scan (self);
  if (*code == '\0')
    return FALSE;
  {
    gint64   quantity;
    char    *rest;
    gboolean dangling;

    if (split_quantity (code, &quantity, &rest, &dangling))
      return scan_quantity (self, quantity, rest, dangling);
  }

  product = _sk_checkout_view_find_product (self, code);
  if (product != NULL)
    {
      _sk_checkout_view_add_product (self, product);
      return TRUE;
    }
  kind = classify (code);
  if (kind == SCAN_CARD || kind == SCAN_PHONE)
    {
      sk_checkout_view_find_customer_async (self, code, NULL, scan_customer_cb, NULL);
      return TRUE;
    }
  {
    g_autofree char *msg
        = kind == SCAN_MISREAD
              ? g_strdup_printf (_ ("“%s” was misread (its check digit is wrong): scan it again"),
                                 code)
              : g_strdup_printf (_ ("“%s” is not a product, a card or a phone number"), code);

    _sk_checkout_view_scan_message (self, TRUE, msg);
    if (kind == SCAN_OTHER)
      _sk_checkout_view_set_unknown_code (self, code);
  }
  return FALSE;
}

void
_sk_checkout_view_burst_clear (SkCheckoutView *self)
{
  if (self->burst != NULL)
    g_string_truncate (self->burst, 0);
  self->burst_widget = NULL;
  g_clear_pointer (&self->burst_before, g_free);
}

static gboolean
is_inside (GtkWidget *widget, GtkWidget *ancestor)
{
  return widget != NULL && (widget == ancestor || gtk_widget_is_ancestor (widget, ancestor));
}

/* A key on its way to the focused widget of the till's window (the
 * window's capture phase). TRUE: the till took it. */
static gboolean
is_modifier (guint keyval)
{
  return (keyval >= GDK_KEY_Shift_L && keyval <= GDK_KEY_Hyper_R)
         || keyval == GDK_KEY_ISO_Level3_Shift || keyval == GDK_KEY_ISO_Level5_Shift;
}

gboolean
sk_checkout_view_route_key (SkCheckoutView *self, guint keyval, GdkModifierType state, guint32 time)
{
  GtkRoot   *root;
  GtkWidget *focus;
  gunichar   c = gdk_keyval_to_unicode (keyval);
  gboolean   fast;

  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);

  root = gtk_widget_get_root (GTK_WIDGET (self));
  focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  if (self->burst == NULL)
    self->burst = g_string_new (NULL);
  fast = self->burst->len > 0 && focus == self->burst_widget
         && time - self->burst_time <= SK_SCAN_KEY_GAP_MS;

  /* The scan field takes its keys itself; Enter there routes the code. */
  if (is_inside (focus, GTK_WIDGET (self->scan_entry))
      || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0)
    {
      _sk_checkout_view_burst_clear (self);
      return FALSE;
    }

  if (keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
    {
      g_autofree char *code = NULL;

      if (!fast || self->burst->len < SK_SCAN_MIN_CHARS)
        {
          GtkWidget *spin = focus ? gtk_widget_get_ancestor (focus, GTK_TYPE_SPIN_BUTTON) : NULL;

          _sk_checkout_view_burst_clear (self);
          /* Enter in the bonus field or a quantity: the number is set
           * (a quantity that looks like a mis-scan asks first), and the
           * cashier is back at the scan field. */
          if (spin == NULL || !is_inside (spin, GTK_WIDGET (self))
              || spin == GTK_WIDGET (self->quantity_spin))
            return FALSE;
          _sk_checkout_view_focus_scan (self);
          gtk_spin_button_update (GTK_SPIN_BUTTON (spin));
          return TRUE;
        }
      /* A scan that landed in a quantity, a price or the bonus field: the
       * field gets its text back and never sees the Enter. */
      code = g_strdup (self->burst->str);
      if (GTK_IS_EDITABLE (focus))
        gtk_editable_set_text (GTK_EDITABLE (focus), self->burst_before);
      _sk_checkout_view_burst_clear (self);
      sk_checkout_view_scan (self, code);
      return TRUE;
    }

  /* Shift alone: a scanner presses it before each capital of a code
   * ("SCH-004"); the code goes on. */
  if (is_modifier (keyval))
    return FALSE;
  if (c == 0 || !g_unichar_isgraph (c))
    {
      _sk_checkout_view_burst_clear (self);
      return FALSE;
    }

  if (GTK_IS_EDITABLE (focus))
    {
      /* Typed where typing goes: remember it in case it is a scan. */
      if (!fast)
        {
          _sk_checkout_view_burst_clear (self);
          self->burst_widget = focus;
          self->burst_before = g_strdup (gtk_editable_get_text (GTK_EDITABLE (focus)));
        }
      g_string_append_unichar (self->burst, c);
      self->burst_time = time;
      return FALSE;
    }

  /* Focus on a button, the cart, the receipt or nowhere: the key starts
   * what the scan field gets. */
  _sk_checkout_view_burst_clear (self);
  _sk_checkout_view_focus_scan (self);
  {
    GtkEditable *editable = GTK_EDITABLE (self->scan_entry);
    char         utf8[8] = { 0 };
    int          position = -1;

    g_unichar_to_utf8 (c, utf8);
    position = (int)g_utf8_strlen (gtk_editable_get_text (editable), -1);
    gtk_editable_insert_text (editable, utf8, -1, &position);
    gtk_editable_set_position (editable, -1);
  }
  return TRUE;
}
