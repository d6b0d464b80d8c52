/* sk-server-smtp.c: e-mail over SMTP with libcurl: STARTTLS when the server
 * offers it, authentication, one connection for a batch, multipart text and
 * HTML, a stable Message-ID and List-Unsubscribe.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <curl/curl.h>
#include <string.h>

#include "sk-server-delivery.h"

struct _SkSmtp
{
  CURL    *curl;
  char    *url;
  char    *from;
  char    *domain; /* of @from, for Message-ID */
  char    *username;
  char    *password;
  gboolean reuse;
  char     error[CURL_ERROR_SIZE];
};

SkSmtp *
sk_smtp_new (const SkNotifyConfig *config, gboolean reuse, GError **error)
{
  static gsize curl_ready = 0;
  g_autoptr (SkSmtp) self = NULL;

  g_return_val_if_fail (config != NULL && config->smtp_url != NULL, NULL);

  if (g_once_init_enter (&curl_ready))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&curl_ready, 1);
    }
  self = g_new0 (SkSmtp, 1);
  self->url = g_strdup (config->smtp_url);
  self->from = g_strdup (config->smtp_from);
  self->domain = g_strdup (strchr (config->smtp_from, '@') + 1);
  self->username = g_strdup (config->smtp_username);
  self->reuse = reuse;
  if (config->smtp_password_file != NULL)
    {
      if (!g_file_get_contents (config->smtp_password_file, &self->password, NULL, error))
        return NULL;
      g_strchomp (self->password);
    }
  self->curl = curl_easy_init ();
  if (self->curl == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libcurl could not start");
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
sk_smtp_free (SkSmtp *self)
{
  if (self == NULL)
    return;
  if (self->curl != NULL)
    curl_easy_cleanup (self->curl);
  g_free (self->url);
  g_free (self->from);
  g_free (self->domain);
  g_free (self->username);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self);
}

/* A header value as RFC 2047 wants it when it is not plain ASCII. */
static char *
header_word (const char *text)
{
  g_autofree char *encoded = NULL;

  for (const char *p = text; *p != '\0'; p++)
    if ((guchar)*p >= 0x80 || *p == '\r' || *p == '\n')
      {
        encoded = g_base64_encode ((const guchar *)text, strlen (text));
        return g_strdup_printf ("=?UTF-8?B?%s?=", encoded);
      }
  return g_strdup (text);
}

static gboolean
address_ok (const char *address)
{
  return address != NULL && strchr (address, '@') != NULL && strpbrk (address, "\r\n<>,") == NULL;
}

SkSendResult
sk_smtp_send (SkSmtp *self, const SkMail *mail, char **error_message)
{
  g_autofree char *subject = NULL;
  g_autofree char *h_subject = NULL, *h_to = NULL, *h_from = NULL, *h_id = NULL, *h_date = NULL;
  g_autofree char *h_unsub = NULL, *rcpt = NULL, *sender = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  struct curl_slist *headers = NULL, *recipients = NULL;
  curl_mime         *mime, *alternative;
  curl_mimepart     *part;
  CURLcode           code;
  long               response = 0;
  SkSendResult       result;

  g_return_val_if_fail (self != NULL && mail != NULL, SK_SEND_PERMANENT);

  if (!address_ok (mail->to))
    {
      *error_message = g_strdup_printf ("Not an e-mail address: %s", mail->to ? mail->to : "none");
      return SK_SEND_PERMANENT;
    }
  subject = header_word (mail->subject != NULL ? mail->subject : "");
  h_subject = g_strdup_printf ("Subject: %s", subject);
  h_to = g_strdup_printf ("To: <%s>", mail->to);
  h_from = g_strdup_printf ("From: <%s>", self->from);
  h_id = g_strdup_printf ("Message-ID: <%s@%s>", mail->id, self->domain);
  h_date = g_date_time_format (now, "Date: %a, %d %b %Y %H:%M:%S +0000");
  headers = curl_slist_append (headers, h_date);
  headers = curl_slist_append (headers, h_to);
  headers = curl_slist_append (headers, h_from);
  headers = curl_slist_append (headers, h_subject);
  headers = curl_slist_append (headers, h_id);
  if (mail->unsubscribe_url != NULL)
    {
      h_unsub = g_strdup_printf ("List-Unsubscribe: <%s>", mail->unsubscribe_url);
      headers = curl_slist_append (headers, h_unsub);
      /* RFC 8058: a mail client may unsubscribe with one POST. */
      headers = curl_slist_append (headers, "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    }
  rcpt = g_strdup_printf ("<%s>", mail->to);
  sender = g_strdup_printf ("<%s>", self->from);
  recipients = curl_slist_append (recipients, rcpt);

  /* multipart/alternative: the text, then the HTML a mail client prefers. */
  mime = curl_mime_init (self->curl);
  alternative = curl_mime_init (self->curl);
  part = curl_mime_addpart (alternative);
  curl_mime_data (part, mail->text != NULL ? mail->text : "", CURL_ZERO_TERMINATED);
  curl_mime_type (part, "text/plain; charset=UTF-8");
  curl_mime_encoder (part, "quoted-printable");
  part = curl_mime_addpart (alternative);
  curl_mime_data (part, mail->html != NULL ? mail->html : "", CURL_ZERO_TERMINATED);
  curl_mime_type (part, "text/html; charset=UTF-8");
  curl_mime_encoder (part, "quoted-printable");
  part = curl_mime_addpart (mime);
  curl_mime_subparts (part, alternative);
  curl_mime_type (part, "multipart/alternative");

  self->error[0] = '\0';
  curl_easy_setopt (self->curl, CURLOPT_URL, self->url);
  curl_easy_setopt (self->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
  if (self->username != NULL)
    curl_easy_setopt (self->curl, CURLOPT_USERNAME, self->username);
  if (self->password != NULL)
    curl_easy_setopt (self->curl, CURLOPT_PASSWORD, self->password);
  curl_easy_setopt (self->curl, CURLOPT_MAIL_FROM, sender);
  curl_easy_setopt (self->curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (self->curl, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt (self->curl, CURLOPT_ERRORBUFFER, self->error);
  curl_easy_setopt (self->curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt (self->curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt (self->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (self->curl, CURLOPT_FORBID_REUSE, self->reuse ? 0L : 1L);

  code = curl_easy_perform (self->curl);
  curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &response);

  /* The handle keeps its connection, not this message's parts. */
  curl_easy_setopt (self->curl, CURLOPT_MIMEPOST, NULL);
  curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt (self->curl, CURLOPT_MAIL_RCPT, NULL);
  curl_mime_free (mime);
  curl_slist_free_all (headers);
  curl_slist_free_all (recipients);

  if (code == CURLE_OK)
    return SK_SEND_OK;
  /* An SMTP 5xx (no such mailbox, refused) will not change; a 4xx, a
   * connection refused or a timeout may. */
  result = response >= 500 && response < 600 ? SK_SEND_PERMANENT : SK_SEND_TRANSIENT;
  *error_message = g_strdup_printf ("SMTP: %s", self->error[0] != '\0' ? self->error
                                                                       : curl_easy_strerror (code));
  return result;
}
