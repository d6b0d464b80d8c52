/* sk-error.h: the error domain every part of Skidka reports through.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SK_ERROR (sk_error_quark ())

/* Each code maps to one API error code string and one HTTP status
 * (sk_error_code_to_string, sk_error_code_to_http_status). */
typedef enum
{
  SK_ERROR_MALFORMED,            /* 400 malformed: not JSON, wrong shape */
  SK_ERROR_INVALID,              /* 422 invalid_value: a value out of range */
  SK_ERROR_NOT_FOUND,            /* 404 not_found */
  SK_ERROR_CONFLICT,             /* 409 conflict: duplicate phone, card, code */
  SK_ERROR_STALE,                /* 412 stale_version */
  SK_ERROR_INSUFFICIENT_BONUS,   /* 422 insufficient_bonus */
  SK_ERROR_BONUS_CAP_EXCEEDED,   /* 422 bonus_cap_exceeded */
  SK_ERROR_SCHEMA_TOO_NEW,       /* the database file was made by a newer Skidka */
  SK_ERROR_DATABASE,             /* an I/O or SQLite failure, not the user's fault */
  SK_ERROR_UNAUTHORIZED,         /* 401 */
  SK_ERROR_FORBIDDEN,            /* 403 */
  SK_ERROR_IDEMPOTENCY_MISMATCH, /* 409 idempotency_mismatch: an id used by another request */
  SK_ERROR_CURSOR_EXPIRED,       /* 410 cursor_expired: a sync cursor the feed no longer knows */
} SkErrorCode;

GQuark      sk_error_quark (void);
const char *sk_error_code_to_string (SkErrorCode code);
guint       sk_error_code_to_http_status (SkErrorCode code);

/* Sets @error with SK_ERROR / @code and remembers @field (may be NULL) so the
 * API can name the offending field. */
void
sk_set_field_error (GError **error, SkErrorCode code, const char *field, const char *format, ...)
    G_GNUC_PRINTF (4, 5);
/* The field named when the error was set, or NULL. */
const char *sk_error_get_field (const GError *error);

G_END_DECLS
