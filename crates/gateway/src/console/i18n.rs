//! The console's phrases in Vietnamese and English, side by side so that neither
//! language can miss one (a phrase exists in both or the code does not compile).

use appotapay_protocol::Lang;

macro_rules! texts {
    ($( $name:ident: $vi:literal, $en:literal; )*) => {
        /// Every phrase of the console's pages.
        #[derive(Debug)]
        pub struct Texts {
            $(
                #[doc = $en]
                pub $name: &'static str,
            )*
        }

        /// Vietnamese.
        pub static VI: Texts = Texts { $( $name: $vi, )* };
        /// English.
        pub static EN: Texts = Texts { $( $name: $en, )* };
    };
}

texts! {
    lang: "vi", "en";
    other_lang: "English", "Tiếng Việt";
    other_lang_code: "en", "vi";
    console: "Bảng điều khiển", "Console";
    nav_overview: "Tổng quan", "Overview";
    nav_orders: "Đơn hàng", "Orders";
    nav_deliveries: "Gửi IPN", "Deliveries";
    nav_partners: "Đối tác", "Partners";
    nav_audit: "Nhật ký", "Audit log";
    nav_live: "Trực tiếp", "Live";
    logout: "Đăng xuất", "Log out";
    signed_in_as: "Đăng nhập với", "Signed in as";
    viewer_note: "Quyền xem: các thao tác cần token operator.", "Viewer: actions need an operator token.";
    local_note: "Sandbox trên máy của bạn (loopback): không cần đăng nhập.", "Sandbox on your own machine (loopback): no login needed.";
    login_title: "Đăng nhập bảng điều khiển", "Sign in to the console";
    login_hint: "Dán admin token (tạo bằng lệnh appotapay-gateway admin token create).", "Paste an admin token (made with appotapay-gateway admin token create).";
    token_label: "Admin token", "Admin token";
    login_button: "Đăng nhập", "Sign in";
    login_failed: "Token không hợp lệ hoặc đã bị thu hồi.", "That token is not valid, or it was revoked.";
    filter: "Lọc", "Filter";
    partner: "Đối tác", "Partner";
    state: "Trạng thái", "State";
    method: "Phương thức", "Method";
    order_id: "Mã đơn (orderId)", "orderId";
    trans_id: "appotapayTransId", "appotapayTransId";
    from: "Từ", "From";
    to: "Đến", "To";
    any: "Tất cả", "Any";
    amount: "Số tiền", "Amount";
    created: "Tạo lúc", "Created";
    orders_found: "đơn hàng", "orders";
    prev: "← Trước", "← Previous";
    next: "Sau →", "Next →";
    no_orders: "Không có đơn hàng nào.", "No orders.";
    fields: "Thông tin", "Fields";
    timeline: "Dòng thời gian", "Timeline";
    redirect_url: "URL chuyển hướng đã ký", "Signed redirect URL";
    not_final: "Chưa có: đơn chưa kết thúc.", "None yet: the order is not final.";
    payment_url: "Link thanh toán", "Payment link";
    ipns: "IPN và các lần gửi", "IPNs and their attempts";
    no_ipn: "Chưa có IPN nào cho đơn này.", "No IPN was queued for this order.";
    body_sent: "Nội dung đã gửi", "Body sent";
    attempt: "Lần", "Attempt";
    time: "Thời gian", "Time";
    result: "Kết quả", "Result";
    latency: "Độ trễ", "Latency";
    answer_head: "Đầu câu trả lời", "Start of the answer";
    delivered: "Đã nhận", "Delivered";
    yes: "có", "yes";
    no: "không", "no";
    no_attempt: "Chưa gửi lần nào.", "Not attempted yet.";
    refunds: "Hoàn tiền", "Refunds";
    no_refunds: "Chưa có hoàn tiền.", "No refunds.";
    actions: "Thao tác", "Actions";
    resend_ipn: "Gửi lại IPN ngay", "Resend IPN now";
    refund_button: "Hoàn tiền", "Refund";
    reason: "Lý do", "Reason";
    settle_button: "Kết thúc với mã", "Settle with code";
    operator_only: "chỉ operator", "operators only";
    refundable: "Còn có thể hoàn", "Refundable";
    deliveries_title: "IPN đang lỗi và đã bỏ cuộc", "Failing and exhausted IPNs";
    deliveries_hint: "IPN đã thử mà chưa được nhận, theo đối tác và URL. Đã bỏ cuộc = lịch gửi lại đã hết.", "IPNs tried and not delivered, by partner and notify URL. Exhausted: the retry schedule ran out.";
    deliveries_empty: "Không có IPN nào đang lỗi.", "No failing IPN.";
    failing: "đang lỗi", "failing";
    exhausted: "đã bỏ cuộc", "exhausted";
    retrying: "đang thử lại", "retrying";
    failing_since: "Lỗi từ", "Failing since";
    last_delivered: "Lần nhận gần nhất", "Last delivered";
    never: "chưa bao giờ", "never";
    url_down: "URL này chỉ trả lỗi suốt hơn một giờ", "This URL has answered nothing but failures for over an hour";
    redrive_url: "Gửi lại tất cả của URL này", "Redrive all of this URL";
    redrive_partner: "Gửi lại tất cả của đối tác", "Redrive all of the partner";
    redrive_one: "Gửi lại", "Redrive";
    last_result: "Kết quả gần nhất", "Last result";
    attempts: "Số lần", "Attempts";
    partners_title: "Đối tác", "Partners";
    create_partner: "Tạo đối tác", "Create a partner";
    code: "Mã", "Code";
    name: "Tên", "Name";
    notify_failures: "Gửi IPN cả khi thất bại", "IPNs for failed payments too";
    status: "Tình trạng", "Status";
    locked: "Bị khóa", "Locked";
    active: "Hoạt động", "Active";
    lock: "Khóa", "Lock";
    unlock: "Mở khóa", "Unlock";
    turn_on: "Bật", "Turn on";
    turn_off: "Tắt", "Turn off";
    on: "bật", "on";
    off: "tắt", "off";
    sub_accounts: "Tài khoản con", "Sub-accounts";
    no_sub_accounts: "Chưa có tài khoản con.", "No sub-accounts.";
    add_sub_account: "Thêm tài khoản con", "Add a sub-account";
    owner: "Chủ sở hữu", "Owner";
    rotate_keys: "Đổi khóa API", "Rotate the keys";
    grace: "Khóa cũ còn dùng được trong", "Old keys keep working for";
    grace_none: "không (dừng ngay)", "none (they stop at once)";
    previous_keys_until: "Khóa cũ còn dùng đến", "Old keys accepted until";
    api_key: "API key", "API key";
    secret_key: "Secret key", "Secret key";
    secret_once: "Lưu ngay: secret chỉ hiện một lần, gateway không thể hiện lại.", "Keep it now: the secret is shown once and cannot be shown again.";
    audit_title: "Nhật ký thao tác", "Audit log";
    actor: "Ai", "Who";
    what: "Làm gì", "What";
    target: "Trên", "On";
    detail: "Chi tiết", "Detail";
    no_audit: "Chưa có thao tác nào.", "Nothing done yet.";
    tokens_title: "Admin token", "Admin tokens";
    role: "Vai trò", "Role";
    revoked: "Đã thu hồi", "Revoked";
    revoke: "Thu hồi", "Revoke";
    live_title: "Sự kiện trực tiếp", "Live events";
    live_hint: "Đơn mới, kết quả thanh toán và các lần gửi IPN của node này hiện ra ngay khi xảy ra.", "New orders, settlements and IPN attempts of this node appear as they happen.";
    live_waiting: "Đang chờ sự kiện…", "Waiting for events…";
    live_on: "trực tiếp", "live";
    done: "Đã xong.", "Done.";
    done_resent: "Đã xếp một lần gửi IPN mới.", "A new attempt of the IPN is queued.";
    done_redriven: "Đã xếp gửi lại.", "Queued again.";
    done_refunded: "Đã ghi nhận hoàn tiền.", "The refund is recorded.";
    done_settled: "Đơn đã được kết thúc.", "The order is settled.";
    done_locked: "Đối tác đã bị khóa: các lệnh gọi API trả mã 13.", "The partner is locked: its API calls answer 13.";
    done_unlocked: "Đối tác đã được mở khóa.", "The partner is unlocked.";
    done_saved: "Đã lưu.", "Saved.";
    done_revoked: "Token đã bị thu hồi.", "The token is revoked.";
    could_not: "Không thực hiện được", "Could not do that";
    forbidden: "Yêu cầu bị từ chối: biểu mẫu đã cũ hoặc đến từ trang khác.", "Refused: the form is stale or comes from another site.";
    not_found: "Không tìm thấy.", "Not found.";
    back: "Quay lại", "Back";
    last_hour: "1 giờ qua", "Last hour";
    last_day: "24 giờ qua", "Last day";
    outbox_now: "IPN đang chờ gửi", "IPNs waiting";
    failing_urls: "URL đang lỗi", "Failing URLs";
    orders_by_method: "Đơn hàng theo phương thức", "Orders by method";
    orders_by_result: "Đơn hàng theo kết quả", "Orders by result";
    success_rate: "Tỷ lệ thành công", "Success rate";
    ipn_latency: "Độ trễ gửi IPN (p50, p99)", "IPN delivery latency (p50, p99)";
    ipn_outcomes: "Kết quả gửi IPN", "IPN outcomes";
    outbox_depth: "Số IPN chờ gửi", "Outbox depth";
    refunds_chart: "Số lần hoàn tiền", "Refunds";
    refund_amounts: "Số tiền hoàn", "Refunded amounts";
    mode: "Chế độ", "Mode";
    front_title: "Cổng thanh toán tương thích AppotaPay", "AppotaPay-compatible payment gateway";
    front_what: "Máy chủ mà hệ thống của merchant gọi để nhận thanh toán thẻ, ngân hàng và QR theo API AppotaPay (v1.0, v1.1, v2): trang thanh toán, chuyển hướng đã ký và IPN. Đây là địa chỉ API: các client API nhận JSON.", "The server merchants' systems call to take card, bank and QR payments with AppotaPay's API (v1.0, v1.1, v2): the hosted checkout, the signed redirect and the IPN. This is the API's base URL: API clients get JSON answers.";
    sandbox_creds: "Thông tin sandbox (công khai)", "Sandbox credentials (public)";
    partner_code: "Partner code", "Partner code";
    links: "Liên kết", "Links";
    link_console: "Bảng điều khiển", "The console";
    link_openapi: "Tài liệu OpenAPI (JSON)", "The OpenAPI document (JSON)";
    link_docs: "Tài liệu API", "API documentation";
    link_health: "Kiểm tra sức khỏe", "Health check";
    demo_button: "Tạo một thanh toán thử và mở trang thanh toán", "Create a demo payment and open its checkout";
    demo_hint: "Một đơn 50.000 VND của đối tác sandbox; IPN của nó gửi về chính gateway này, xem trong bảng điều khiển.", "A 50,000 VND order of the sandbox partner; its IPN goes to this gateway itself: see it in the console.";
    demo_result: "Kết quả thanh toán thử", "Demo payment result";
    demo_open_console: "Xem đơn này trong bảng điều khiển", "See this order in the console";
    signature_valid: "Chữ ký hợp lệ", "Signature valid";
    signature_invalid: "Chữ ký KHÔNG hợp lệ", "Signature NOT valid";
}

/// The phrases of a language.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}
