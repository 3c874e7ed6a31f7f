// mckm's own minimal implementation of the Kaitai Struct C++/STL runtime's exceptions that
// generated parsers throw when a `valid` check fails (`any-of` or `expr`).
#ifndef KAITAI_EXCEPTIONS_H
#define KAITAI_EXCEPTIONS_H

#include <sstream>
#include <stdexcept>
#include <string>

#include "kaitai/kaitaistream.h"

namespace kaitai {

// A structure error, with the .ksy path of the attribute (e.g. /types/hdr/seq/6).
class kstruct_error : public std::runtime_error {
public:
    kstruct_error(const std::string& what, const std::string& src_path)
        : std::runtime_error(src_path + ": " + what), m_src_path(src_path) {}
    const std::string& src_path() const { return m_src_path; }

private:
    std::string m_src_path;
};

class validation_failed_error : public kstruct_error {
public:
    validation_failed_error(const std::string& what, kstream* io, const std::string& src_path)
        : kstruct_error(at(io) + "validation failed: " + what, src_path) {}

private:
    static std::string at(kstream* io) {
        std::ostringstream out;
        out << "at offset " << io->pos() << ": ";
        return out.str();
    }
};

template <typename T>
class validation_not_any_of_error : public validation_failed_error {
public:
    validation_not_any_of_error(const T& actual, kstream* io, const std::string& src_path)
        : validation_failed_error(describe(actual), io, src_path) {}

private:
    static std::string describe(const T& actual) {
        std::ostringstream out;
        out << "not any of the allowed values: " << static_cast<long long>(actual);
        return out.str();
    }
};

// A `valid: expr` check failed (e.g. octets after a message's last payload).
template <typename T>
class validation_expr_error : public validation_failed_error {
public:
    validation_expr_error(const T&, kstream* io, const std::string& src_path)
        : validation_failed_error("the value does not satisfy the expression", io, src_path) {}
};

}  // namespace kaitai

#endif
