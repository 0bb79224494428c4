/*
 * curl_lazy: the libcurl functions gaiarest calls, forwarded to libcurl.so.4 loaded on first use (see
 * common/lazylib.h): a command that never talks to S3 does not load libcurl and its TLS, LDAP, SSH, IDN, ...
 * dependencies. Linked into the gaiarest binary only; a libcurl function newly called by the S3 driver needs its
 * forwarder here (the link fails otherwise).
 */
#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt is defined here, not wrapped in the type-checking macro */
#include <curl/curl.h>
#include <stdarg.h>

#include "common/lazylib.h"

static LazyLib libcurl = LAZYLIB_INIT("libcurl.so.4", "libcurl4", "for S3 repositories");

CURLcode
curl_global_init(long flags)
{
    LAZYLIB_RESOLVE(libcurl, curl_global_init);
    return curl_global_init_real(flags);
}

CURL *
curl_easy_init(void)
{
    LAZYLIB_RESOLVE(libcurl, curl_easy_init);
    return curl_easy_init_real();
}

void
curl_easy_cleanup(CURL *curl)
{
    LAZYLIB_RESOLVE(libcurl, curl_easy_cleanup);
    curl_easy_cleanup_real(curl);
}

void
curl_easy_reset(CURL *curl)
{
    LAZYLIB_RESOLVE(libcurl, curl_easy_reset);
    curl_easy_reset_real(curl);
}

CURLcode
curl_easy_perform(CURL *curl)
{
    LAZYLIB_RESOLVE(libcurl, curl_easy_perform);
    return curl_easy_perform_real(curl);
}

CURLcode
curl_easy_pause(CURL *curl, int bitmask)
{
    LAZYLIB_RESOLVE(libcurl, curl_easy_pause);
    return curl_easy_pause_real(curl, bitmask);
}

const char *
curl_easy_strerror(CURLcode code)
{
    LAZYLIB_RESOLVE(libcurl, curl_easy_strerror);
    return curl_easy_strerror_real(code);
}

/* The one variadic function: its argument's type follows from the option number's range, as libcurl defines it. */
CURLcode
curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    LAZYLIB_RESOLVE(libcurl, curl_easy_setopt);
    va_list arguments;
    va_start(arguments, option);
    CURLcode result;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        result = curl_easy_setopt_real(curl, option, va_arg(arguments, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        result = curl_easy_setopt_real(curl, option, va_arg(arguments, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        result = curl_easy_setopt_real(curl, option, va_arg(arguments, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        result = curl_easy_setopt_real(curl, option, va_arg(arguments, curl_off_t));
    else
        result = curl_easy_setopt_real(curl, option, va_arg(arguments, void *));
    va_end(arguments);
    return result;
}

time_t
curl_getdate(const char *text, const time_t *unused)
{
    LAZYLIB_RESOLVE(libcurl, curl_getdate);
    return curl_getdate_real(text, unused);
}

struct curl_slist *
curl_slist_append(struct curl_slist *list, const char *text)
{
    LAZYLIB_RESOLVE(libcurl, curl_slist_append);
    return curl_slist_append_real(list, text);
}

void
curl_slist_free_all(struct curl_slist *list)
{
    LAZYLIB_RESOLVE(libcurl, curl_slist_free_all);
    curl_slist_free_all_real(list);
}

CURLM *
curl_multi_init(void)
{
    LAZYLIB_RESOLVE(libcurl, curl_multi_init);
    return curl_multi_init_real();
}

CURLMcode
curl_multi_cleanup(CURLM *multi)
{
    LAZYLIB_RESOLVE(libcurl, curl_multi_cleanup);
    return curl_multi_cleanup_real(multi);
}

CURLMcode
curl_multi_add_handle(CURLM *multi, CURL *curl)
{
    LAZYLIB_RESOLVE(libcurl, curl_multi_add_handle);
    return curl_multi_add_handle_real(multi, curl);
}

CURLMcode
curl_multi_remove_handle(CURLM *multi, CURL *curl)
{
    LAZYLIB_RESOLVE(libcurl, curl_multi_remove_handle);
    return curl_multi_remove_handle_real(multi, curl);
}

CURLMcode
curl_multi_perform(CURLM *multi, int *running_handles)
{
    LAZYLIB_RESOLVE(libcurl, curl_multi_perform);
    return curl_multi_perform_real(multi, running_handles);
}

CURLMcode
curl_multi_poll(CURLM *multi, struct curl_waitfd extra_fds[], unsigned int extra_nfds, int timeout_ms, int *numfds)
{
    LAZYLIB_RESOLVE(libcurl, curl_multi_poll);
    return curl_multi_poll_real(multi, extra_fds, extra_nfds, timeout_ms, numfds);
}

CURLMsg *
curl_multi_info_read(CURLM *multi, int *msgs_in_queue)
{
    LAZYLIB_RESOLVE(libcurl, curl_multi_info_read);
    return curl_multi_info_read_real(multi, msgs_in_queue);
}

CURLSH *
curl_share_init(void)
{
    LAZYLIB_RESOLVE(libcurl, curl_share_init);
    return curl_share_init_real();
}

CURLSHcode
curl_share_cleanup(CURLSH *share)
{
    LAZYLIB_RESOLVE(libcurl, curl_share_cleanup);
    return curl_share_cleanup_real(share);
}

/* Variadic too: SHARE/UNSHARE take an int (a curl_lock_data), LOCKFUNC/UNLOCKFUNC a function, USERDATA a pointer. */
CURLSHcode
curl_share_setopt(CURLSH *share, CURLSHoption option, ...)
{
    LAZYLIB_RESOLVE(libcurl, curl_share_setopt);
    va_list arguments;
    va_start(arguments, option);
    CURLSHcode result;
    if (option == CURLSHOPT_SHARE || option == CURLSHOPT_UNSHARE)
        result = curl_share_setopt_real(share, option, va_arg(arguments, int));
    else if (option == CURLSHOPT_LOCKFUNC || option == CURLSHOPT_UNLOCKFUNC)
        result = curl_share_setopt_real(share, option, va_arg(arguments, void (*)(void)));
    else
        result = curl_share_setopt_real(share, option, va_arg(arguments, void *));
    va_end(arguments);
    return result;
}
