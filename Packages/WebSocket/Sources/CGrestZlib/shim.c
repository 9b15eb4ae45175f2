// Intentionally empty: the shim is header-only; this file makes SwiftPM build the target and link libz.
#include "CGrestZlib.h"
