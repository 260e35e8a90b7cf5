#include "gk/core/reason.hpp"

#include <array>

namespace gk {
namespace {
// Order must follow the enum; the static_assert below and a unit test check it.
constexpr std::array<ReasonText, kReasonCount> kTexts{{
    {"ok", "请通行", "Please pass"},
    {"malformed", "无法识别的通行码", "Unreadable pass"},
    {"unsupported_version", "通行码版本不受支持", "Pass version not supported"},
    {"unknown_issuer", "签发机构未知", "Unknown issuer"},
    {"issuer_not_valid", "签发机构密钥已失效", "Issuer key not valid"},
    {"issuer_out_of_scope", "签发机构无权签发本小区通行证", "Issuer not allowed for this compound"},
    {"bad_signature", "通行码签名无效", "Invalid pass signature"},
    {"not_yet_valid", "通行码尚未生效", "Pass not yet valid"},
    {"expired", "通行码已过期，请重新申领", "Pass expired, please renew"},
    {"revoked", "通行码已被注销", "Pass revoked"},
    {"wrong_site", "非本小区通行证", "Pass is for another compound"},
    {"card_mismatch", "通行卡与通行证不符", "Card does not match the pass"},
    {"health_status", "健康状态异常，请联系社区", "Health status not clear, contact the community"},
    {"lockdown", "小区封闭管理，访客禁止出入", "Compound in lockdown: no visitors"},
    {"building_quarantined", "所在楼栋隔离中，请勿外出", "Your building is under quarantine"},
    {"visitor_without_consent", "访客须由住户到场同意，请找保安",
     "Visitors need a resident's consent: see the guard"},
    {"visit_window", "不在访问时段内", "Outside the visit window"},
    {"validity_too_long", "通行证有效期超过本小区规定，请重新申领",
     "Pass valid for longer than this compound allows, please renew"},
    {"visit_window_too_long", "访问时段超过本小区规定，请找保安",
     "Visit window longer than this compound allows: see the guard"},
    {"delivery_never_admitted", "快递外卖不得入内，请在门口登记",
     "Deliveries do not enter: register at the gate"},
    {"fever", "体温异常，请配合复测", "Temperature too high, please see the guard"},
    {"temperature_not_measured", "未测得体温，请找保安", "Temperature not measured: see the guard"},
    {"temperature_implausible", "测温异常，请找保安",
     "Temperature reading implausible: see the guard"},
    {"anti_passback", "进出记录不符，请找保安", "Entry/exit out of sequence: see the guard"},
    {"clock_not_trusted", "设备时间未校准，请找保安", "Device clock not trusted: see the guard"},
    {"journal_unavailable", "记录系统故障，暂停通行", "Logging failed: gate stays closed"},
    {"device_fault", "设备故障，请找保安", "Device fault: see the guard"},
    {"guard_override", "保安放行", "Released by guard"},
    {"visitor_with_consent", "访客经住户同意通行", "Visitor admitted with a resident's consent"},
    {"card_not_enrolled", "此卡未登记，请到物业登记",
     "Card not enrolled: register at the property office"},
    {"lists_stale", "名单未及时更新，访客请找保安", "Lists out of date: visitors see the guard"},
    {"registered_at_gate", "已由保安登记通行", "Registered at the gate by the guard"},
    {"outbreak_changed", "疫情状态已由保安更新", "Outbreak state changed by the guard"},
    {"alarm_acknowledged", "报警已确认", "Alarm acknowledged"},
    {"guard_login_failed", "保安登录失败", "Guard login failed"},
    {"consent_pending", "请住户出示本人通行码以确认访客",
     "Resident: show your own pass to consent"},
    {"door_alarm", "门禁报警，请保安处理", "Door alarm: guard attention needed"},
    {"temperature_recheck", "体温偏高，请保安用体温计复测",
     "Temperature borderline: the guard will re-measure"},
    {"remeasured_normal", "保安复测体温正常，请通行",
     "Re-measured by the guard: normal, please pass"},
    {"id_card_expired", "身份证已过有效期，请找保安",
     "ID card past its validity end: see the guard"},
}};
}  // namespace

const ReasonText& describe(Reason r) {
  return kTexts.at(static_cast<std::size_t>(r));
}

std::optional<Reason> reason_from_code(std::string_view c) {
  for (int i = 0; i < kReasonCount; ++i)
    if (kTexts[static_cast<std::size_t>(i)].code == c) return static_cast<Reason>(i);
  return std::nullopt;
}

}  // namespace gk
