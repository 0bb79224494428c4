/*
 * docgen: write the command reference (Markdown) and the command and option sections of the man page from
 * the one option table (config/option_table.c) and the command table (cmd/command.c), so that the
 * documentation says exactly what the program accepts.
 *
 *   gaiarest-docgen markdown              doc/command-reference.md on stdout
 *   gaiarest-docgen man TEMPLATE          TEMPLATE (doc/gaiarest.1.in) with its ".\" @COMMANDS@" and
 *                                         ".\" @OPTIONS@" lines replaced, on stdout
 *
 * `make update-docs` rewrites the committed files; doc/test_docs.sh fails when they differ from this output.
 * Built by `make`, never installed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "config/option.h"

static const char *const type_names[] = {
    [OPT_TYPE_BOOLEAN] = "boolean (y/n)", [OPT_TYPE_INTEGER] = "integer", [OPT_TYPE_SIZE] = "size",
    [OPT_TYPE_TIME] = "seconds",         [OPT_TYPE_STRING] = "string",   [OPT_TYPE_PATH] = "absolute path",
    [OPT_TYPE_LIST] = "list (repeatable)", [OPT_TYPE_HASH] = "key=value (repeatable)",
};

/* What the user writes as the value in examples ("--repo1-path=<path>"). */
static const char *const type_placeholders[] = {
    [OPT_TYPE_BOOLEAN] = "y|n", [OPT_TYPE_INTEGER] = "n",    [OPT_TYPE_SIZE] = "size",
    [OPT_TYPE_TIME] = "seconds", [OPT_TYPE_STRING] = "value", [OPT_TYPE_PATH] = "path",
    [OPT_TYPE_LIST] = "value",  [OPT_TYPE_HASH] = "key=value",
};

/* GitHub's heading anchors are lower case. */
static void
lower(const char *text, char *out, size_t size)
{
    size_t i = 0;
    for (; text[i] != '\0' && i + 1 < size; i++)
        out[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
    out[i] = '\0';
}

/* A summary as a sentence: first letter upper case, a full stop at the end. */
static void
sentence(const char *summary)
{
    if (summary[0] >= 'a' && summary[0] <= 'z')
        printf("%c%s.", summary[0] - 32, summary + 1);
    else
        printf("%s.", summary);
}

static bool
command_available(CommandId command)
{
    return command_function(command) != NULL;
}

/* "repo-path" -> "repoN-path" (indexed) or the name itself. */
static void
display_name(const OptionDef *def, char *out, size_t size)
{
    if (def->group == OPT_GROUP_NONE) {
        snprintf(out, size, "%s", def->name);
        return;
    }
    const char *dash = strchr(def->name, '-');
    snprintf(out, size, "%.*sN%s", (int)(dash - def->name), def->name, dash);
}

/* A range bound in the option's unit: sizes in bytes with a binary unit when exact, times in seconds. */
static void
format_bound(OptionType type, int64_t value, char *out, size_t size)
{
    static const char *const units[] = {"PiB", "TiB", "GiB", "MiB", "KiB"};
    if (type == OPT_TYPE_TIME) {
        if (value % 1000 == 0)
            snprintf(out, size, "%" PRId64, value / 1000);
        else
            snprintf(out, size, "%" PRId64 ".%03" PRId64, value / 1000, value % 1000);
        return;
    }
    if (type == OPT_TYPE_SIZE && value > 0) {
        for (int u = 0; u < 5; u++) {
            int64_t unit = (int64_t)1 << (10 * (5 - u));
            if (value % unit == 0) {
                snprintf(out, size, "%" PRId64 "%s", value / unit, units[u]);
                return;
            }
        }
    }
    snprintf(out, size, "%" PRId64, value);
}

/* "PGBACKREST_REPO1_PATH" style name of the option (index 1 for indexed options). */
static void
env_name(const OptionDef *def, char *out, size_t size)
{
    char name[128];
    if (def->group == OPT_GROUP_NONE) {
        snprintf(name, sizeof(name), "%s", def->name);
    } else {
        const char *dash = strchr(def->name, '-');
        snprintf(name, sizeof(name), "%.*s1%s", (int)(dash - def->name), def->name, dash);
    }
    size_t len = 0;
    len += (size_t)snprintf(out, size, "PGBACKREST_");
    for (const char *c = name; *c != '\0' && len + 1 < size; c++)
        out[len++] = *c == '-' ? '_' : (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    out[len] = '\0';
}

/* The commands an option is valid for, in command order, separated by ", " (as Markdown links when `links`). */
static void
option_commands(const OptionDef *def, bool links, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int c = 0; c < CMD_COUNT && len < size; c++) {
        if ((def->commands & CMD_BIT(c)) == 0)
            continue;
        const char *name = command_name((CommandId)c);
        if (links)
            len += (size_t)snprintf(out + len, size - len, "%s[%s](#%s)", len > 0 ? ", " : "", name, name);
        else
            len += (size_t)snprintf(out + len, size - len, "%s%s", len > 0 ? ", " : "", name);
    }
}

/* Whether the option has command-specific defaults or values (type, output). */
static bool
option_has_rules(const OptionDef *def)
{
    return def->command_rules != NULL;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Markdown                                                                                                         */
/* ------------------------------------------------------------------------------------------------------------------ */
static void
md_values(const char *const *values)
{
    for (size_t i = 0; values[i] != NULL; i++)
        printf("%s`%s`", i > 0 ? ", " : "", values[i]);
}

static void
md_option_rules(const OptionDef *def)
{
    for (const OptionCommandRule *rule = def->command_rules; rule->command != CMD_NONE; rule++) {
        printf("- for `%s`:", command_name(rule->command));
        if (rule->allowed != NULL) {
            printf(" one of ");
            md_values(rule->allowed);
        }
        if (rule->default_value != NULL)
            printf("; default `%s`", rule->default_value);
        printf("\n");
    }
}

static void
md_option(OptionId id)
{
    const OptionDef *def = option_def(id);
    char name[128], env[160], commands[1024];
    display_name(def, name, sizeof(name));
    env_name(def, env, sizeof(env));
    option_commands(def, true, commands, sizeof(commands));

    printf("### --%s\n\n", name);
    sentence(def->summary);
    printf("\n\n");
    printf("- type: %s\n", type_names[def->type]);
    if (def->group != OPT_GROUP_NONE)
        printf("- indexed: N is 1 to %d (`--%s` alone means N=1)\n", OPTION_INDEX_MAX, def->name);
    if (!option_has_rules(def)) {
        if (def->default_value != NULL && !def->secret)
            printf("- default: `%s`\n", def->default_value);
        else
            printf("- default: none\n");
        if (def->allowed != NULL) {
            printf("- allowed: ");
            md_values(def->allowed);
            printf("\n");
        }
    } else {
        md_option_rules(def);
    }
    if (def->has_range) {
        char low[64], high[64];
        format_bound(def->type, def->range_min, low, sizeof(low));
        format_bound(def->type, def->range_max, high, sizeof(high));
        printf("- range: %s to %s\n", low, high);
    }
    if (def->depend != OPT_COUNT) {
        char depend[128];
        display_name(option_def(def->depend), depend, sizeof(depend));
        printf("- only with: `--%s`", depend);
        if (def->depend_values != NULL) {
            printf(" set to ");
            md_values(def->depend_values);
        }
        printf("\n");
    }
    if (def->required != 0) {
        char required[1024];
        OptionDef required_def = *def;
        required_def.commands = def->required;
        option_commands(&required_def, false, required, sizeof(required));
        printf("- required by: %s\n", required);
    }
    if (def->section == OPT_SECTION_COMMAND_LINE)
        printf("- set on: the command line or `%s` (not in configuration files)\n", env);
    else if (def->section == OPT_SECTION_STANZA)
        printf("- set on: the command line, `%s` or a `[stanza]` section (not `[global]`)\n", env);
    else
        printf("- set on: the command line, `%s`, or `%s=` in `[global]` or `[stanza]` sections\n", env, name);
    if (def->secret)
        printf("- secret: refused on the command line, shown as `<redacted>` in logs\n");
    printf("- commands: %s\n\n", commands);
}

static void
md_command(CommandId command)
{
    printf("### %s\n\n", command_name(command));
    sentence(command_summary(command));
    printf("\n\n");
    if (!command_available(command))
        printf("**Coming:** not implemented in this build yet; it stops with error 048 (CommandInvalidError).\n\n");
    printf("```\ngaiarest [options] %s\n```\n\n", command_name(command));
    size_t count = 0;
    for (int id = 0; id < OPT_COUNT; id++)
        if (option_def((OptionId)id)->commands & CMD_BIT(command))
            count++;
    if (count == 0) {
        printf("No options.\n\n");
        return;
    }
    printf("Options: ");
    size_t listed = 0;
    for (int id = 0; id < OPT_COUNT; id++) {
        const OptionDef *def = option_def((OptionId)id);
        if ((def->commands & CMD_BIT(command)) == 0)
            continue;
        char name[128];
        display_name(def, name, sizeof(name));
        char anchor[128];
        lower(name, anchor, sizeof(anchor));
        printf("%s[`--%s`](#--%s)", listed++ > 0 ? ", " : "", name, anchor);
    }
    printf(".\n\n");
}

static void
markdown(void)
{
    printf("# gaiarest command reference\n\n"
           "<!-- Generated by doc/gaiarest-docgen from src/config/option_table.c and src/cmd/command.c.\n"
           "     Do not edit: change the tables and run `make update-docs`. -->\n\n"
           "Every command and option gaiarest accepts, with its default. Options are written `--name=value` on the\n"
           "command line, `name=value` in `pgbackrest.conf`, or `PGBACKREST_NAME=value` in the environment (see\n"
           "`doc/user-guide.md` for the order in which these sources apply). Boolean options also take the\n"
           "forms `--name` and `--no-name`; any option can be returned to its default with `--reset-name`.\n"
           "Options written `repoN-...` or `pgN-...` are indexed: `repo2-path` configures the second repository.\n\n"
           "## Commands\n\n"
           "| command | state | what it does |\n| --- | --- | --- |\n");
    for (int c = 0; c < CMD_COUNT; c++)
        printf("| [%s](#%s) | %s | %s |\n", command_name((CommandId)c), command_name((CommandId)c),
               command_available((CommandId)c) ? "available" : "coming", command_summary((CommandId)c));
    printf("\n");
    for (int c = 0; c < CMD_COUNT; c++)
        md_command((CommandId)c);
    printf("## Options\n\n");
    for (int id = 0; id < OPT_COUNT; id++)
        md_option((OptionId)id);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Man page                                                                                                         */
/* ------------------------------------------------------------------------------------------------------------------ */
/* Text for roff: backslashes doubled, hyphens as \-, a leading dot or quote protected. */
static void
roff_text(const char *text)
{
    if (text[0] == '.' || text[0] == '\'')
        printf("\\&");
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '\\')
            printf("\\e");
        else if (*c == '-')
            printf("\\-");
        else
            putchar(*c);
    }
}

/* A summary as a roff sentence (first letter upper case, no full stop: the caller adds it). */
static void
roff_sentence(const char *summary)
{
    char text[512];
    snprintf(text, sizeof(text), "%s", summary);
    if (text[0] >= 'a' && text[0] <= 'z')
        text[0] = (char)(text[0] - 32);
    roff_text(text);
}

static void
man_commands(void)
{
    for (int c = 0; c < CMD_COUNT; c++) {
        printf(".TP\n.B ");
        roff_text(command_name((CommandId)c));
        printf("\n");
        roff_sentence(command_summary((CommandId)c));
        printf(".%s\n", command_available((CommandId)c) ? "" : " (Not implemented yet.)");
    }
}

static void
man_option(OptionId id)
{
    const OptionDef *def = option_def(id);
    char name[128], commands[1024];
    display_name(def, name, sizeof(name));
    option_commands(def, false, commands, sizeof(commands));
    printf(".TP\n\\fB");
    roff_text("--");
    roff_text(name);
    printf("\\fR=\\fI%s\\fR\n", type_placeholders[def->type]);
    roff_sentence(def->summary);
    printf(".\n");
    if (!option_has_rules(def) && def->default_value != NULL && !def->secret) {
        printf("Default: ");
        roff_text(def->default_value);
        printf(".\n");
    }
    if (!option_has_rules(def) && def->allowed != NULL) {
        printf("One of:");
        for (size_t i = 0; def->allowed[i] != NULL; i++) {
            printf(" ");
            roff_text(def->allowed[i]);
        }
        printf(".\n");
    }
    for (const OptionCommandRule *rule = def->command_rules; rule != NULL && rule->command != CMD_NONE; rule++) {
        printf("For ");
        roff_text(command_name(rule->command));
        printf(":");
        for (size_t i = 0; rule->allowed != NULL && rule->allowed[i] != NULL; i++) {
            printf(" ");
            roff_text(rule->allowed[i]);
        }
        if (rule->default_value != NULL) {
            printf(" (default ");
            roff_text(rule->default_value);
            printf(")");
        }
        printf(".\n");
    }
    if (def->section == OPT_SECTION_COMMAND_LINE)
        printf("Command line or environment only.\n");
    if (def->secret)
        printf("Secret: not accepted on the command line.\n");
    printf("Commands: ");
    roff_text(commands);
    printf(".\n");
}

static int
man(const char *template_path)
{
    FILE *template = fopen(template_path, "r");
    if (template == NULL) {
        perror(template_path);
        return 1;
    }
    char line[4096];
    while (fgets(line, sizeof(line), template) != NULL) {
        if (strcmp(line, ".\\\" @COMMANDS@\n") == 0) {
            man_commands();
        } else if (strcmp(line, ".\\\" @OPTIONS@\n") == 0) {
            for (int id = 0; id < OPT_COUNT; id++)
                man_option((OptionId)id);
        } else {
            fputs(line, stdout);
        }
    }
    fclose(template);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "markdown") == 0) {
        markdown();
        return ferror(stdout) ? 1 : 0;
    }
    if (argc == 3 && strcmp(argv[1], "man") == 0) {
        int rc = man(argv[2]);
        return rc != 0 || ferror(stdout) ? 1 : 0;
    }
    fprintf(stderr, "usage: %s markdown | man TEMPLATE\n", argv[0]);
    return 2;
}
