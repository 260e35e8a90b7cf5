#pragma once
// Personal data is minimised and masked wherever it is shown or logged, as the Henan
// checkpoint app shows it: phone 13812348058 -> "138**8058".
#include <string>
#include <string_view>

namespace gk {

// Keeps the first 3 and last 4 characters of a phone number, "**" between.
// Shorter inputs are masked entirely ("***").
std::string mask_phone(std::string_view phone);
// ID document numbers: only the last 4 characters are kept ("**************1234" -> "**1234").
std::string mask_id_number(std::string_view id);
// Names: keep the first UTF-8 character (the family name), mask the rest ("张三丰" -> "张**").
std::string mask_name(std::string_view name);

}  // namespace gk
