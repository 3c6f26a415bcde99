/**
 * @file reprocheck/error.h
 * @brief Error codes and the error object that carries a message upwards.
 *
 * Every library function returns 0 (REPRO_OK) or a negative code from this
 * file, and fills a caller-owned repro_error with a one-line message. The
 * library never prints. Callers add context as the error travels up with
 * repro_error_prefix(), for example "reading layer 2: ".
 */
#ifndef REPROCHECK_ERROR_H
#define REPROCHECK_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result codes. A finding about real data (REPRO_EMISMATCH, REPRO_EINVALID)
 *  is kept apart from failures that leave no verdict. */
typedef enum repro_code {
	REPRO_OK = 0,
	REPRO_EUSAGE = -1,        /**< invalid argument or option */
	REPRO_ENOTFOUND = -2,     /**< a file, object, tag or key does not exist */
	REPRO_EIO = -3,           /**< a read, write or system call failed */
	REPRO_ENOMEM = -4,        /**< out of memory */
	REPRO_EFORMAT = -5,       /**< malformed input: JSON, tar, gzip, a digest */
	REPRO_EUNSUPPORTED = -6,  /**< well-formed but not supported */
	REPRO_ELIMIT = -7,        /**< a size, depth or count limit was exceeded */
	REPRO_EUNSAFE = -8,       /**< a path that leaves its root, or similar */
	REPRO_EMISMATCH = -9,     /**< a digest, size or value differs from the claim */
	REPRO_EINVALID = -10,     /**< an image breaks the OCI rules */
	REPRO_ENETWORK = -11,     /**< connection or protocol failure */
	REPRO_EAUTH = -12,        /**< authentication or authorisation failure */
	REPRO_ETIMEOUT = -13,     /**< an operation timed out */
	REPRO_EBUILD = -14,       /**< a build step failed */
	REPRO_EINTERRUPTED = -15  /**< stopped by a signal */
} repro_code;

/** Maximum length of an error message, including the terminating NUL. */
#define REPRO_ERROR_MESSAGE_MAX 1024

/** A caller-owned error: the first code set and its message. */
typedef struct repro_error {
	int code;
	char message[REPRO_ERROR_MESSAGE_MAX];
} repro_error;

/** Resets @p err to REPRO_OK with an empty message. @p err may be NULL. */
void repro_error_clear(repro_error *err);

/**
 * Sets @p err to @p code with a printf-style message and returns @p code,
 * so that `return repro_error_set(err, REPRO_EIO, "...")` reads naturally.
 * @p err may be NULL, then only the code is returned.
 */
int repro_error_set(repro_error *err, int code, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/**
 * Like repro_error_set(), and appends ": " and strerror(@p errnum).
 */
int repro_error_set_errno(repro_error *err, int code, int errnum, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

/**
 * Prepends context to the message already in @p err, joined by ": ".
 * The code is kept. Returns the code stored in @p err.
 */
int repro_error_prefix(repro_error *err, const char *format, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/** Returns a short stable name for @p code, such as "mismatch". */
const char *repro_error_code_name(int code);

/**
 * Maps a code to the command's exit status: 0 for REPRO_OK, 1 for a
 * finding about real data (REPRO_EMISMATCH, REPRO_EINVALID), 2 otherwise.
 */
int repro_error_exit_status(int code);

#ifdef __cplusplus
}
#endif

#endif
