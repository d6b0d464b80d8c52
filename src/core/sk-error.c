/* sk-error.c: the Skidka error domain and its mapping to API codes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-error.h"

typedef struct
{
  char *field;
} SkErrorPrivate;

static void
sk_error_private_init (SkErrorPrivate *priv)
{
  priv->field = NULL;
}

static void
sk_error_private_copy (const SkErrorPrivate *src, SkErrorPrivate *dest)
{
  dest->field = g_strdup (src->field);
}

static void
sk_error_private_clear (SkErrorPrivate *priv)
{
  g_clear_pointer (&priv->field, g_free);
}

/* An extended error domain: the field name rides along with the error. */
G_DEFINE_EXTENDED_ERROR (SkError, sk_error)

const char *
sk_error_code_to_string (SkErrorCode code)
{
  switch (code)
    {
    case SK_ERROR_MALFORMED:
      return "malformed";
    case SK_ERROR_INVALID:
      return "invalid_value";
    case SK_ERROR_NOT_FOUND:
      return "not_found";
    case SK_ERROR_CONFLICT:
      return "conflict";
    case SK_ERROR_STALE:
      return "stale_version";
    case SK_ERROR_INSUFFICIENT_BONUS:
      return "insufficient_bonus";
    case SK_ERROR_BONUS_CAP_EXCEEDED:
      return "bonus_cap_exceeded";
    case SK_ERROR_SCHEMA_TOO_NEW:
      return "schema_too_new";
    case SK_ERROR_DATABASE:
      return "database_error";
    case SK_ERROR_UNAUTHORIZED:
      return "unauthorized";
    case SK_ERROR_FORBIDDEN:
      return "forbidden";
    case SK_ERROR_IDEMPOTENCY_MISMATCH:
      return "idempotency_mismatch";
    case SK_ERROR_CURSOR_EXPIRED:
      return "cursor_expired";
    default:
      return "error";
    }
}

guint
sk_error_code_to_http_status (SkErrorCode code)
{
  switch (code)
    {
    case SK_ERROR_MALFORMED:
      return 400;
    case SK_ERROR_UNAUTHORIZED:
      return 401;
    case SK_ERROR_FORBIDDEN:
      return 403;
    case SK_ERROR_NOT_FOUND:
      return 404;
    case SK_ERROR_CONFLICT:
    case SK_ERROR_IDEMPOTENCY_MISMATCH:
      return 409;
    case SK_ERROR_STALE:
      return 412;
    case SK_ERROR_CURSOR_EXPIRED:
      return 410;
    case SK_ERROR_INVALID:
    case SK_ERROR_INSUFFICIENT_BONUS:
    case SK_ERROR_BONUS_CAP_EXCEEDED:
      return 422;
    case SK_ERROR_SCHEMA_TOO_NEW:
    case SK_ERROR_DATABASE:
    default:
      return 500;
    }
}

void
sk_set_field_error (GError **error, SkErrorCode code, const char *field, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  if (error == NULL)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, SK_ERROR, code, message);
  if (field != NULL && *error != NULL && (*error)->domain == SK_ERROR)
    sk_error_get_private (*error)->field = g_strdup (field);
}

const char *
sk_error_get_field (const GError *error)
{
  if (error == NULL || error->domain != SK_ERROR)
    return NULL;
  return sk_error_get_private (error)->field;
}
