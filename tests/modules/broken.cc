// Libraries that look like modules but must be refused by the loader.
#include <cstdint>

#include "exporterd/module_abi.h"

#if defined(BROKEN_NO_SYMBOL)
extern "C" __attribute__((visibility("default"))) int not_a_module(void) {
  return 0;
}
#else
extern "C" __attribute__((visibility("default")))
const exporterd_module_descriptor*
exporterd_module_entry(void) {
  static exporterd_module_descriptor d{};
  d.name = BROKEN_NAME;
  d.build_id = EXPORTERD_MODULE_BUILD_ID;
#if defined(BROKEN_BUILD_ID)
  d.build_id = "gcc-0.0/other-stdlib";
#endif
  return &d;
}
#endif
