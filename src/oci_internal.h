/*
 * Helpers shared by the oci_*.c files.
 */
#ifndef REPROCHECK_OCI_INTERNAL_H
#define REPROCHECK_OCI_INTERNAL_H

#include <reprocheck/oci.h>

/* Copies @p text into *@p out (NULL stays NULL); REPRO_ENOMEM on failure. */
int repro_oci_strdup(char **out, const char *text, repro_error *err);

/* Checks that @p value, at @p path, is an object whose members are all strings. */
int repro_oci_check_string_map(json_t *value, const char *path, repro_error *err);

/* Checks that @p value, at @p path, is an array of strings. */
int repro_oci_check_string_array(const json_t *value, const char *path, repro_error *err);

/*
 * Computes the digest of @p data with @p declared's algorithm, or sha256,
 * and writes "@p noun DIGEST" into @p what for messages. When @p declared
 * is given, digest and size must match it (REPRO_EMISMATCH). Then parses
 * the bytes into @p doc with a limit of @p max_bytes.
 */
int repro_oci_load_document(repro_json_doc *doc, repro_digest *digest, char *what,
                            size_t what_size, const char *noun, const void *data, size_t size,
                            size_t max_bytes, const repro_descriptor *declared, repro_error *err);

#endif
