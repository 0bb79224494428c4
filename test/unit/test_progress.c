/* Unit tests for engine/ops/progress: the figures shown (percent, sizes, rate, time left), the detail log lines
 * at each tenth, and the terminal status line drawn on a real pseudo-terminal and cleared by log lines. */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "engine/ops/progress.h"

START_TEST(test_size_format)
{
    char text[32];
    progress_size_format(0, text, sizeof(text));
    ck_assert_str_eq(text, "0B");
    progress_size_format(1023, text, sizeof(text));
    ck_assert_str_eq(text, "1023B");
    progress_size_format(1536, text, sizeof(text));
    ck_assert_str_eq(text, "1.5KB");
    progress_size_format(2ull * 1024 * 1024 * 1024, text, sizeof(text));
    ck_assert_str_eq(text, "2GB");
    progress_size_format(812ull * 1024 * 1024, text, sizeof(text));
    ck_assert_str_eq(text, "812MB");
    progress_size_format((uint64_t)(96.3 * 1024 * 1024), text, sizeof(text));
    ck_assert_str_eq(text, "96.3MB");
}
END_TEST

START_TEST(test_format)
{
    char text[160];
    Progress progress = {.label = "backup", .total = 1000ull * 1024 * 1024, .started = 100.0};
    /* nothing done yet: no rate, no ETA */
    progress_format(&progress, 101.0, text, sizeof(text));
    ck_assert_str_eq(text, "backup: 0.0% (0B of 1000MB)");
    /* 250 MB in 10 s: 25 MB/s, 750 MB left = 30 s */
    progress.done = 250ull * 1024 * 1024;
    progress_format(&progress, 110.0, text, sizeof(text));
    ck_assert_str_eq(text, "backup: 25.0% (250MB of 1000MB), 25MB/s, ETA 0:30");
    /* too early to tell a rate */
    progress_format(&progress, 100.1, text, sizeof(text));
    ck_assert_str_eq(text, "backup: 25.0% (250MB of 1000MB)");
    /* hours */
    progress.done = 1024 * 1024;
    progress_format(&progress, 200.0, text, sizeof(text));
    ck_assert_str_eq(text, "backup: 0.1% (1MB of 1000MB), 10.2KB/s, ETA 27:45:00");
    /* more done than announced (files grew): capped at 100% */
    progress.done = 2000ull * 1024 * 1024;
    progress_format(&progress, 200.0, text, sizeof(text));
    ck_assert_str_eq(text, "backup: 100.0% (1000MB of 1000MB), 10MB/s, ETA 0:00");
    /* an empty job is complete */
    Progress empty = {.label = "restore", .total = 0, .started = 1.0};
    progress_format(&empty, 1.0, text, sizeof(text));
    ck_assert_str_eq(text, "restore: 100.0% (0B of 0B)");
}
END_TEST

/* Everything readable from `fd` within a short wait, NUL-terminated. */
static void
drain(int fd, char *out, size_t size)
{
    size_t used = 0;
    struct pollfd poll_fd = {.fd = fd, .events = POLLIN};
    while (used + 1 < size && poll(&poll_fd, 1, 200) > 0) {
        ssize_t got = read(fd, out + used, size - 1 - used);
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    out[used] = '\0';
}

/* Count the occurrences of `needle` in `haystack`. */
static int
count(const char *haystack, const char *needle)
{
    int found = 0;
    for (const char *at = strstr(haystack, needle); at != NULL; at = strstr(at + 1, needle))
        found++;
    return found;
}

START_TEST(test_detail_log_each_tenth)
{
    int pipe_fd[2];
    ck_assert_int_eq(pipe(pipe_fd), 0);
    ck_assert_int_eq(dup2(pipe_fd[1], STDOUT_FILENO), STDOUT_FILENO);
    LogSettings settings = {.console = LOG_DETAIL, .std_err = LOG_OFF, .file = LOG_OFF, .timestamp = false};
    ck_assert_int_eq(log_init(&settings), 0);
    ck_assert(!log_status_available()); /* stderr is not a terminal here */

    Progress progress;
    progress_start(&progress, "restore", 100);
    for (int step = 0; step < 40; step++)
        progress_advance(&progress, 3); /* 120 bytes in all: more than announced */
    progress_finish(&progress);
    fflush(stdout);
    char output[8192];
    drain(pipe_fd[0], output, sizeof(output));
    /* one line per tenth from 10% to 90%, then the summary */
    ck_assert_int_eq(count(output, "P00 DETAIL: restore: "), 10);
    ck_assert_ptr_nonnull(strstr(output, "P00 DETAIL: restore: 12.0% (")); /* the first tenth is passed at 12 bytes */
    ck_assert_ptr_nonnull(strstr(output, "P00 DETAIL: restore: 90.0% ("));
    ck_assert_ptr_null(strstr(output, "100.0%"));
    ck_assert_ptr_nonnull(strstr(output, "P00 DETAIL: restore: 120B done in 0:00 ("));
    ck_assert_ptr_null(strstr(output, "\033[K")); /* no terminal: no status line */
}
END_TEST

START_TEST(test_status_line_on_terminal)
{
    int master = -1, slave = -1;
    ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
    ck_assert_int_eq(dup2(slave, STDERR_FILENO), STDERR_FILENO);
    LogSettings settings = {.console = LOG_OFF, .std_err = LOG_WARN, .file = LOG_OFF, .timestamp = false};
    ck_assert_int_eq(log_init(&settings), 0);
    ck_assert(log_status_available());

    Progress progress;
    progress_start(&progress, "backup", 4096);
    progress_advance(&progress, 1024); /* first advance draws at once */
    progress_advance(&progress, 1024); /* within the redraw interval: not drawn */
    LOG_WARN("a warning while the status line is shown");
    progress_finish(&progress);
    char output[8192];
    drain(master, output, sizeof(output));
    ck_assert_ptr_nonnull(strstr(output, "\r\033[Kbackup: 25.0% (1KB of 4KB)"));
    ck_assert_ptr_null(strstr(output, "backup: 50.0%"));
    /* the warning clears the line, is written, and the status line comes back under it */
    const char *warning = strstr(output, "\r\033[KWARN: a warning while the status line is shown");
    ck_assert_ptr_nonnull(warning);
    ck_assert_ptr_nonnull(strstr(warning, "backup: 25.0% (1KB of 4KB)"));
    /* finished: the line is erased, and the output ends with the erase sequence */
    size_t length = strlen(output);
    ck_assert_uint_ge(length, 4);
    ck_assert_str_eq(output + length - 4, "\r\033[K");
    close(master);
    close(slave);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("progress");
    TCase *tcase = tcase_create("progress");
    tcase_add_test(tcase, test_size_format);
    tcase_add_test(tcase, test_format);
    tcase_add_test(tcase, test_detail_log_each_tenth);
    tcase_add_test(tcase, test_status_line_on_terminal);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
