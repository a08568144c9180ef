/**
 * The Python with torch the engine's tests run (CAJAL_PYTHON, else Debian's /usr/bin/python3,
 * which `.ci/run` gives python3-torch). The tests need it: they fail, not skip, without it.
 */
export const TORCH_PYTHON = process.env.CAJAL_PYTHON ?? '/usr/bin/python3';
