/*
 * cmd_seed.c — `pinggu seed commit SEED`: the SHA-256 commitment an office publishes before
 * the draw (DESIGN §5: the seed stays sealed until fieldwork ends).
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu seed commit SEED\n\n"
    "Prints SHA-256(SEED) / 种子承诺值, the commitment to publish when the round is planned.\n"
    "Keep SEED sealed until fieldwork ends (a county that knew it could compute its own\n"
    "sample), then publish it with the manifest; anyone can then check\n"
    "pinggu sample verify --commitment HASH. Use a seed that cannot be guessed, e.g. 20 rolls\n"
    "of a die made in public.\n";

int cmd_seed(int argc, char **argv)
{
    char out[65];
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc != 3 || strcmp(argv[1], "commit")) return cli_usage("seed", "usage: seed commit SEED");
    if (!argv[2][0]) return cli_bad_value("seed", "the seed is empty");
    seed_commitment(argv[2], out);
    printf("%s\n", out);
    return EXIT_OK;
}
