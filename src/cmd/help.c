/* help: list commands, a command's options, or one option, from the option table. */
#include <stdio.h>
#include <string.h>

#include "cmd/command.h"
#include "common/error.h"
#include "config/config.h"
#include "gaiarest/version.h"

static const char *const help_type_names[] = {
    [OPT_TYPE_BOOLEAN] = "boolean", [OPT_TYPE_INTEGER] = "integer", [OPT_TYPE_SIZE] = "size",
    [OPT_TYPE_TIME] = "time",       [OPT_TYPE_STRING] = "string",   [OPT_TYPE_PATH] = "path",
    [OPT_TYPE_LIST] = "list",       [OPT_TYPE_HASH] = "hash",
};

static void
help_general(void)
{
    printf("gaiarest %s - General help\n\nUsage:\n    gaiarest [options] [command]\n\nCommands:\n", GAIAREST_VERSION);
    for (int id = 0; id < CMD_COUNT; id++)
        printf("    %-16s%s\n", command_name((CommandId)id), command_summary((CommandId)id));
    printf("\nUse 'gaiarest help [command]' for more information.\n");
}

static void
help_command(CommandId command)
{
    printf("gaiarest %s - '%s' command help\n\n%s\n", GAIAREST_VERSION, command_name(command),
           command_summary(command));
    bool any = false;
    for (int id = 0; id < OPT_COUNT; id++) {
        const OptionDef *def = option_def((OptionId)id);
        if ((def->commands & CMD_BIT(command)) == 0)
            continue;
        if (!any)
            printf("\nOptions:\n\n");
        any = true;
        const char *dflt = option_default((OptionId)id, command);
        printf("  --%-32s %s", def->name, def->summary);
        if (dflt != NULL && !def->secret)
            printf(" [default=%s]", dflt);
        printf("\n");
    }
    printf("\nUse 'gaiarest help %s [option]' for more information.\n", command_name(command));
}

static void
help_option(CommandId command, OptionId id)
{
    const OptionDef *def = option_def(id);
    printf("gaiarest %s - '%s' command - '%s' option help\n\n%s.\n\n", GAIAREST_VERSION, command_name(command),
           def->name, def->summary);
    printf("type: %s\n", help_type_names[def->type]);
    if (def->group != OPT_GROUP_NONE)
        printf("indexed: %s1..%d\n", def->group == OPT_GROUP_REPO ? "repo" : "pg", OPTION_INDEX_MAX);
    if (def->section == OPT_SECTION_COMMAND_LINE)
        printf("set on: command line or environment only\n");
    else if (def->section == OPT_SECTION_STANZA)
        printf("set on: command line, environment or a stanza section\n");
    if (def->secret)
        printf("secret: refused on the command line, never shown\n");
    const char *const *allowed = option_allowed(id, command);
    if (allowed != NULL) {
        printf("allowed:");
        for (; *allowed != NULL; allowed++)
            printf(" %s", *allowed);
        printf("\n");
    }
    const char *dflt = option_default(id, command);
    if (dflt != NULL && !def->secret)
        printf("default: %s\n", dflt);
}

int
cmd_help(void)
{
    if (cfg_param_count() == 0) {
        help_general();
        return 0;
    }
    CommandId command = command_find(cfg_param(0));
    if (command == CMD_NONE)
        return err_set(ERR_COMMAND_INVALID, "invalid command '%s'", cfg_param(0));
    if (cfg_param_count() == 1) {
        help_command(command);
        return 0;
    }
    unsigned key;
    bool key_too_big;
    OptionId id = option_find(cfg_param(1), &key, &key_too_big);
    if (id == OPT_COUNT || (option_def(id)->commands & CMD_BIT(command)) == 0)
        return err_set(ERR_OPTION_INVALID, "option '%s' is not valid for command '%s'", cfg_param(1),
                       command_name(command));
    help_option(command, id);
    return 0;
}
