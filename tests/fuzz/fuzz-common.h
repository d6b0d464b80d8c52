/* fuzz-common.h: what the libFuzzer targets share: fatal warnings, checks of JSON answers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* libFuzzer calls these; declared here for -Wmissing-prototypes.
 * fuzz-common.c has a LLVMFuzzerInitialize that calls sk_fuzz_init alone,
 * for the targets that need no more. */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Criticals and warnings abort (a g_return_if_fail hit by input is a bug);
 * call first thing in a target's own LLVMFuzzerInitialize. */
void sk_fuzz_init (void);

/* Prints what went wrong and aborts, so libFuzzer keeps the input. */
G_NORETURN void sk_fuzz_fail (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Aborts unless @text is valid UTF-8 JSON that json-glib reads back. */
void sk_fuzz_check_json_text (const char *text, gsize length);
/* Serialises @node as the server does and checks the text as above. */
void sk_fuzz_check_json (JsonNode *node);
/* Aborts unless @node is the documented error shape
 * {"error": {"code": string, "message": string, "field": string|null}}. */
void sk_fuzz_check_error (JsonNode *node);

/* A new folder for a target's files, in /dev/shm when there is one (no
 * disk writes); aborts when none can be made. */
char *sk_fuzz_make_dir (void);

/* Removes a SQLite database at @path: its file and its journals. */
void sk_fuzz_remove_database (const char *path);

/* A copy of the input as a NUL-terminated string (inputs may hold NULs,
 * which then end the string early, as they would in a C API). */
char *sk_fuzz_strndup (const uint8_t *data, size_t size);

G_END_DECLS
