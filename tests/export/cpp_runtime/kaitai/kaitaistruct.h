// mckm's own minimal implementation of the Kaitai Struct C++/STL runtime interface that
// kaitai-struct-compiler 0.11 (target cpp_stl) generates calls to: kaitai::kstruct, the base of
// every generated class.  Written from the documented API, for the tests of the .ksy export;
// not the official runtime (which no registry that CI reaches ships).
#ifndef KAITAI_STRUCT_H
#define KAITAI_STRUCT_H

// The API level the generated code checks for (0.11).
#define KAITAI_STRUCT_VERSION 11000L

#include <cstddef>
#include <cstring>
#include <new>

#include "kaitai/kaitaistream.h"

namespace kaitai {

class kstruct {
public:
    explicit kstruct(kstream* io) : m__io(io) {}
    virtual ~kstruct() {}

    // kaitai-struct-compiler 0.11 (cpp_stl) does not set a switch-typed member (e.g.
    // payload_t::m_body) before _read(); when the read of that member throws, the object's
    // _clean_up() deletes whatever the member holds.  Generated objects are made with new:
    // handing them zeroed memory makes that member a null pointer until it is assigned.
    static void* operator new(std::size_t size) {
        void* p = ::operator new(size);
        std::memset(p, 0, size);
        return p;
    }
    static void operator delete(void* p) { ::operator delete(p); }

    kstream* _io() { return m__io; }

protected:
    kstream* m__io;
};

}  // namespace kaitai

#endif
