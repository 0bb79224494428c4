# contrib/gaia: the validator setup scripts, installed with their shared functions in $(pkgdatadir)/gaia
# (e.g. /usr/local/share/gaiarest/gaia/setup-primary.sh); test/integration/test_gaia_setup.sh runs them.
gaiadir = $(pkgdatadir)/gaia
dist_gaia_SCRIPTS = contrib/gaia/setup-primary.sh contrib/gaia/setup-replica.sh
dist_gaia_DATA = contrib/gaia/gaia-setup-common.sh
