// mckm's own minimal implementation of the Kaitai Struct C++/STL runtime interface that
// kaitai-struct-compiler 0.11 (target cpp_stl) generates calls to: kaitai::kstruct, the base of
// every generated class.  Written from the documented API, for the tests of the .ksy export;
// not the official runtime (which no registry that CI reaches ships).
#ifndef KAITAI_STRUCT_H
#define KAITAI_STRUCT_H

// The API level the generated code checks for (0.11).
#define KAITAI_STRUCT_VERSION 11000L

#include "kaitai/kaitaistream.h"

namespace kaitai {

class kstruct {
public:
    explicit kstruct(kstream* io) : m__io(io) {}
    virtual ~kstruct() {}

    kstream* _io() { return m__io; }

protected:
    kstream* m__io;
};

}  // namespace kaitai

#endif
