"""Plausible names for demo customers and villages, by terrain.

Hà Giang's lowlands are mostly Tày and Kinh; the high plateau mostly H'Mông, Dao and Nùng,
whose names follow other patterns. The names are generated; any match with a real person is
chance.
"""

from ..choices import CustomerType
from .scenario import HIGHLAND

KINH_TAY_FAMILIES = (
    "Nguyễn", "Hoàng", "Nông", "Ma", "Lương", "Trần", "Lê", "Phạm", "Vũ", "Đặng", "Bùi",
    "Đỗ", "Lục", "Triệu", "Phan", "Hà", "Đinh", "Vi", "Mai", "Quan",
)  # fmt: skip
HIGHLAND_FAMILIES = (
    "Giàng", "Sùng", "Vàng", "Lù", "Thào", "Hầu", "Mua", "Ly", "Lò", "Sình", "Cháng", "Mã",
    "Lý", "Hoàng", "Triệu", "Bàn", "Đặng", "Chẩu", "Phàn", "Lục",
)  # fmt: skip
KINH_TAY_MIDDLE = {"m": ("Văn", "Đức", "Minh", "Quang", "Xuân"), "f": ("Thị", "Thị", "Thu")}
HIGHLAND_MIDDLE = {"m": ("Seo", "Mí", "A", "Văn", "Chẩn"), "f": ("Thị", "Thị", "Mỷ")}
KINH_TAY_GIVEN = {
    "m": ("Hùng", "Dũng", "Tuấn", "Thắng", "Hải", "Long", "Toàn", "Sơn", "Bình", "Cường",
          "Tiến", "Hiếu", "Phong", "Thành", "Quý", "Khánh", "Nam", "Trung"),
    "f": ("Lan", "Hoa", "Hương", "Mai", "Thảo", "Huyền", "Nga", "Hằng", "Liên", "Thủy",
          "Yến", "Trang", "Nhung", "Duyên", "Vân", "Xuân"),
}  # fmt: skip
HIGHLAND_GIVEN = {
    "m": ("Pháng", "Sính", "Chứ", "Dìn", "Páo", "Chơ", "Khai", "Lử", "Say", "Vư", "Chúng",
          "Dế", "Nhà", "Tủa", "Sử", "Phừ"),
    "f": ("Mai", "Dợ", "Chá", "Mỷ", "Sua", "Và", "Pà", "Dính", "Sinh", "Máy", "Khu", "Chía"),
}  # fmt: skip

SHOPS = ("Cửa hàng tạp hóa", "Cửa hàng vật liệu xây dựng", "Quán ăn", "Nhà nghỉ", "Xưởng mộc")
SHOPS += ("Cửa hàng điện máy", "Tiệm sửa xe", "Homestay")
PUBLIC = ("UBND", "Trường Tiểu học", "Trường THCS", "Trạm Y tế", "Trường Mầm non")
FARMS = ("HTX Nông nghiệp", "HTX Chè", "Trang trại", "HTX Dược liệu")
WORKS = ("Công ty TNHH Xây dựng", "Xưởng chế biến chè", "Nhà máy thủy điện")
OTHER = ("Nhà văn hóa thôn", "Chùa", "Nhà thờ họ")

VILLAGE_NAMES = (
    "Nà Mòn", "Khuổi Hao", "Bản Đén", "Nà Khương", "Cốc Pài", "Lũng Pù", "Sủng Trà",
    "Séo Lủng", "Pả Vi", "Mã Pì", "Lao Chải", "Tả Lủng", "Phìn Ngan", "Nậm Ty", "Tiến Thắng",
    "Minh Tiến", "Tân Thành", "Đồng Tiến", "Làng Mới", "Nặm Đăm", "Lùng Tám", "Sán Xả Hồ",
    "Khâu Vai", "Nà Thác", "Bản Khoang", "Thượng", "Hạ", "Trung Tâm", "Tân Lập", "Hồng Tiến",
    "Nà Chì", "Pắc Sum", "Khuổi Vài", "Lũng Hồ", "Súng Chớ", "Chúng Trải", "Hố Quáng",
    "Bản Mế", "Cao Bồ", "Tát Ngà",
)  # fmt: skip


def person(rng, terrain):
    sex = "f" if rng.random() < 0.5 else "m"
    if terrain == HIGHLAND and rng.random() < 0.85:
        families, middles, givens = HIGHLAND_FAMILIES, HIGHLAND_MIDDLE, HIGHLAND_GIVEN
    else:
        families, middles, givens = KINH_TAY_FAMILIES, KINH_TAY_MIDDLE, KINH_TAY_GIVEN
    return f"{rng.choice(families)} {rng.choice(middles[sex])} {rng.choice(givens[sex])}"


def split_commune(name):
    """'Thị trấn Việt Quang' -> ('thị trấn', 'Việt Quang')."""
    for kind in ("Thị trấn", "Phường", "Xã"):
        if name.startswith(kind + " "):
            return kind.lower(), name[len(kind) + 1 :]
    return "", name


def customer_name(rng, customer_type, terrain, commune_name):
    """A household is named for its head; others for what they are and where."""
    kind, place = split_commune(commune_name)
    if customer_type == CustomerType.HOUSEHOLD:
        return person(rng, terrain)
    if customer_type == CustomerType.BUSINESS:
        return f"{rng.choice(SHOPS)} {person(rng, terrain)}"
    if customer_type == CustomerType.PUBLIC:
        institution = rng.choice(PUBLIC)
        return f"UBND {kind.lower()} {place}" if institution == "UBND" else f"{institution} {place}"
    if customer_type == CustomerType.AGRICULTURE:
        return f"{rng.choice(FARMS)} {place}"
    if customer_type == CustomerType.INDUSTRY:
        return f"{rng.choice(WORKS)} {place}"
    return f"{rng.choice(OTHER)} {place}"


def village_names(rng, commune_name, count):
    """Villages of a commune: numbered residential groups in towns, thôn or bản elsewhere."""
    if commune_name.startswith(("Phường", "Thị trấn")):
        return [f"Tổ dân phố {i}" for i in range(1, count + 1)]
    picked = rng.sample(VILLAGE_NAMES, count)
    return [f"{'Bản' if rng.random() < 0.3 else 'Thôn'} {name}" for name in picked]
