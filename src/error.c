#include <reprocheck/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void repro_error_clear(repro_error *err)
{
	if (err == NULL)
		return;
	err->code = REPRO_OK;
	err->message[0] = '\0';
}

static void set_message(repro_error *err, int code, const char *format, va_list args)
{
	int written = vsnprintf(err->message, sizeof(err->message), format, args);

	if (written < 0)
		snprintf(err->message, sizeof(err->message), "%s", "unformattable error message");
	err->code = code;
}

int repro_error_set(repro_error *err, int code, const char *format, ...)
{
	va_list args;

	if (err == NULL)
		return code;
	va_start(args, format);
	set_message(err, code, format, args);
	va_end(args);
	return code;
}

int repro_error_set_errno(repro_error *err, int code, int errnum, const char *format, ...)
{
	va_list args;
	size_t used;

	if (err == NULL)
		return code;
	va_start(args, format);
	set_message(err, code, format, args);
	va_end(args);

	used = strlen(err->message);
	snprintf(err->message + used, sizeof(err->message) - used, ": %s", strerror(errnum));
	return code;
}

int repro_error_prefix(repro_error *err, const char *format, ...)
{
	char prefix[REPRO_ERROR_MESSAGE_MAX];
	char joined[REPRO_ERROR_MESSAGE_MAX];
	va_list args;

	if (err == NULL)
		return REPRO_OK;
	va_start(args, format);
	vsnprintf(prefix, sizeof(prefix), format, args);
	va_end(args);

	if (err->message[0] == '\0')
		snprintf(joined, sizeof(joined), "%s", prefix);
	else
		snprintf(joined, sizeof(joined), "%s: %s", prefix, err->message);
	memcpy(err->message, joined, sizeof(joined));
	return err->code;
}

const char *repro_error_code_name(int code)
{
	switch (code) {
	case REPRO_OK: return "ok";
	case REPRO_EUSAGE: return "usage";
	case REPRO_ENOTFOUND: return "not-found";
	case REPRO_EIO: return "io";
	case REPRO_ENOMEM: return "out-of-memory";
	case REPRO_EFORMAT: return "format";
	case REPRO_EUNSUPPORTED: return "unsupported";
	case REPRO_ELIMIT: return "limit";
	case REPRO_EUNSAFE: return "unsafe";
	case REPRO_EMISMATCH: return "mismatch";
	case REPRO_EINVALID: return "invalid";
	case REPRO_ENETWORK: return "network";
	case REPRO_EAUTH: return "auth";
	case REPRO_ETIMEOUT: return "timeout";
	case REPRO_EBUILD: return "build";
	case REPRO_EINTERRUPTED: return "interrupted";
	default: return "unknown";
	}
}

int repro_error_exit_status(int code)
{
	if (code == REPRO_OK)
		return 0;
	if (code == REPRO_EMISMATCH || code == REPRO_EINVALID)
		return 1;
	return 2;
}
