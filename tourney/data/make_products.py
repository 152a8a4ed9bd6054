"""Writes products.json: the consumer world's catalogue (run once; output committed).

How it was made: the 100 products below were written by hand for this project
(not copied from the study's dataset, which we do not have): five categories of
20 everyday products each, with a plausible US retail price in whole dollars
and three short features. The wholesale price is the retail price times a
per-category cost ratio (typical gross margins: electronics run thin, apparel
and home goods wide), rounded to whole dollars, so every product has
``0.45 <= wholesale / retail <= 0.75``.

Run: ``python tourney/data/make_products.py`` from the repository root.
"""

from __future__ import annotations

import json
from pathlib import Path

COST_RATIO = {"electronics": 0.72, "home": 0.55, "sports": 0.6, "apparel": 0.48, "kitchen": 0.58}

PRODUCTS = {
    "electronics": [
        ("Wireless noise-cancelling headphones", 299, ["30 h battery", "adaptive noise cancelling", "USB-C fast charge"]),
        ("13-inch ultrabook laptop", 1099, ["16 GB RAM", "512 GB SSD", "1.2 kg aluminium body"]),
        ("27-inch 4K monitor", 379, ["IPS panel", "USB-C 65 W power delivery", "height-adjustable stand"]),
        ("Mirrorless camera body", 899, ["24 MP APS-C sensor", "4K video", "in-body stabilisation"]),
        ("Smartwatch with GPS", 249, ["heart-rate and SpO2 sensors", "7-day battery", "water resistant to 50 m"]),
        ("Bluetooth portable speaker", 129, ["IP67 waterproof", "20 h playtime", "stereo pairing"]),
        ("10-inch tablet", 329, ["64 GB storage", "2K display", "stylus support"]),
        ("Mechanical keyboard", 149, ["hot-swappable switches", "RGB backlight", "aluminium frame"]),
        ("Wireless gaming mouse", 79, ["26k DPI sensor", "70 h battery", "63 g weight"]),
        ("E-book reader", 139, ["6.8-inch glare-free screen", "adjustable warm light", "weeks of battery"]),
        ("Robot vacuum", 399, ["lidar navigation", "self-emptying base", "app scheduling"]),
        ("Streaming media stick", 49, ["4K HDR", "voice remote", "Wi-Fi 6"]),
        ("Mesh Wi-Fi system (3 pack)", 279, ["covers 6000 sq ft", "Wi-Fi 6", "parental controls"]),
        ("Portable SSD 2 TB", 169, ["1050 MB/s", "drop resistant", "USB-C"]),
        ("Action camera", 349, ["5.3K video", "waterproof to 10 m", "horizon levelling"]),
        ("Smart thermostat", 199, ["learns schedules", "energy reports", "works with voice assistants"]),
        ("Video doorbell", 159, ["1536p HD video", "two-way talk", "package detection"]),
        ("True wireless earbuds", 179, ["active noise cancelling", "wireless charging case", "IPX4"]),
        ("Drone with 4K camera", 759, ["3-axis gimbal", "34 min flight", "obstacle sensing"]),
        ("Home projector 1080p", 549, ["3000 lumens", "built-in speaker", "keystone correction"]),
    ],
    "home": [
        ("Memory foam mattress, queen", 899, ["medium-firm", "cooling gel layer", "100-night trial"]),
        ("Ergonomic office chair", 429, ["adjustable lumbar support", "mesh back", "4D armrests"]),
        ("Standing desk frame", 499, ["dual motor", "memory presets", "holds 120 kg"]),
        ("Air purifier", 229, ["HEPA H13 filter", "covers 40 m2", "quiet night mode"]),
        ("Cordless stick vacuum", 349, ["60 min runtime", "laser dust detection", "wall dock"]),
        ("Down comforter, queen", 189, ["700 fill power", "baffle-box stitching", "cotton shell"]),
        ("Floor lamp", 119, ["dimmable LED", "adjustable arm", "brass finish"]),
        ("Bookshelf, 5 tiers", 149, ["solid oak veneer", "anchoring kit", "holds 25 kg per shelf"]),
        ("Area rug 8x10", 329, ["hand-tufted wool", "low pile", "stain resistant"]),
        ("Dehumidifier", 259, ["35 pint per day", "auto shut-off", "continuous drain"]),
        ("Smart LED bulbs (4 pack)", 59, ["16 million colours", "app control", "no hub needed"]),
        ("Linen bedding set", 229, ["stonewashed linen", "duvet cover and two shams", "breathable"]),
        ("Tower fan", 89, ["quiet 40 dB", "remote control", "oscillation"]),
        ("Cordless drill kit", 179, ["20 V brushless motor", "two batteries", "carry case"]),
        ("Velvet accent armchair", 399, ["kiln-dried wood frame", "high-density foam", "solid legs"]),
        ("Blackout curtains (2 panels)", 69, ["thermal insulated", "noise reducing", "machine washable"]),
        ("Bathroom towel set", 79, ["Turkish cotton", "600 GSM", "six pieces"]),
        ("Space heater", 99, ["ceramic element", "tip-over protection", "eco mode"]),
        ("Wall clock", 45, ["silent sweep movement", "30 cm face", "walnut frame"]),
        ("Storage ottoman", 129, ["folding lid", "linen upholstery", "seats two"]),
    ],
    "sports": [
        ("Carbon road bike", 2499, ["carbon frame", "105 groupset", "hydraulic disc brakes"]),
        ("Treadmill, folding", 899, ["3.0 HP motor", "12 % incline", "heart-rate grips"]),
        ("Adjustable dumbbells (pair)", 349, ["5-52 lb each", "quick dial", "storage tray"]),
        ("Yoga mat, 6 mm", 79, ["non-slip natural rubber", "alignment lines", "carry strap"]),
        ("Running shoes", 139, ["carbon-free foam", "8 mm drop", "breathable mesh"]),
        ("Trail backpack 30 L", 149, ["hydration sleeve", "rain cover", "ventilated back panel"]),
        ("Camping tent, 2 person", 299, ["1.8 kg", "freestanding", "3-season"]),
        ("Down sleeping bag", 259, ["-5 C comfort", "800 fill down", "compression sack"]),
        ("Tennis racket", 199, ["300 g", "100 sq in head", "graphite frame"]),
        ("Golf driver", 449, ["adjustable loft", "460 cc titanium head", "stiff shaft"]),
        ("Rowing machine", 1099, ["magnetic resistance", "performance monitor", "foldable"]),
        ("Kayak paddle", 129, ["fibreglass shaft", "feathering adjust", "230 cm"]),
        ("Ski goggles", 169, ["photochromic lens", "anti-fog", "helmet compatible"]),
        ("Bike helmet", 119, ["MIPS liner", "rear light", "18 vents"]),
        ("Climbing shoes", 159, ["downturned last", "sticky rubber", "velcro closure"]),
        ("Insulated water bottle", 39, ["1 L", "keeps cold 24 h", "leak-proof lid"]),
        ("Fitness tracker band", 99, ["sleep tracking", "14-day battery", "swim proof"]),
        ("Basketball, indoor/outdoor", 49, ["composite leather", "official size 7", "deep channels"]),
        ("Trekking poles (pair)", 89, ["carbon fibre", "cork grips", "flick locks"]),
        ("Stand-up paddle board", 599, ["inflatable", "pump and paddle included", "150 kg capacity"]),
    ],
    "apparel": [
        ("Waterproof shell jacket", 349, ["3-layer membrane", "helmet-compatible hood", "pit zips"]),
        ("Merino wool sweater", 129, ["18.5 micron merino", "crew neck", "machine washable"]),
        ("Leather ankle boots", 229, ["full-grain leather", "Goodyear welt", "rubber sole"]),
        ("Selvedge denim jeans", 179, ["14 oz denim", "slim taper", "made in Japan"]),
        ("Down parka", 499, ["650 fill down", "fur-free hood", "rated to -25 C"]),
        ("Cashmere scarf", 149, ["100 % cashmere", "180 x 30 cm", "hand finished"]),
        ("Oxford shirt", 89, ["long-staple cotton", "button-down collar", "regular fit"]),
        ("Wool overcoat", 399, ["80 % wool", "fully lined", "knee length"]),
        ("Sneakers, white leather", 119, ["leather upper", "cushioned insole", "cupsole"]),
        ("Rain boots", 99, ["natural rubber", "adjustable gusset", "cotton lining"]),
        ("Fleece jacket", 119, ["recycled polyester", "full zip", "two hand pockets"]),
        ("Leather belt", 69, ["vegetable-tanned leather", "solid brass buckle", "35 mm"]),
        ("Chino trousers", 79, ["stretch twill", "tapered leg", "five colours"]),
        ("Silk tie", 59, ["100 % silk", "hand rolled", "8 cm"]),
        ("Sunglasses, polarised", 159, ["acetate frame", "UV400", "case included"]),
        ("Leather wallet", 79, ["bifold", "RFID blocking", "six card slots"]),
        ("Hiking socks (3 pairs)", 45, ["merino blend", "cushioned sole", "lifetime guarantee"]),
        ("Canvas tote bag", 55, ["waxed canvas", "leather handles", "inner pocket"]),
        ("Wristwatch, automatic", 549, ["sapphire crystal", "100 m water resistance", "40 h power reserve"]),
        ("Swim trunks", 65, ["quick dry", "mesh lining", "4-way stretch"]),
    ],
    "kitchen": [
        ("Espresso machine", 699, ["15 bar pump", "built-in grinder", "steam wand"]),
        ("Stand mixer", 449, ["5 qt bowl", "10 speeds", "three attachments"]),
        ("Chef's knife, 8-inch", 149, ["VG-10 steel", "60 HRC", "pakkawood handle"]),
        ("Cast iron skillet, 12-inch", 59, ["pre-seasoned", "oven safe", "helper handle"]),
        ("Air fryer", 129, ["5.8 qt basket", "8 presets", "dishwasher-safe parts"]),
        ("High-speed blender", 399, ["2.2 HP motor", "64 oz container", "self-cleaning"]),
        ("Stainless cookware set (10 pieces)", 349, ["tri-ply", "induction ready", "oven safe to 260 C"]),
        ("Electric kettle", 79, ["variable temperature", "keep warm", "1.7 L"]),
        ("Multicooker, 6 qt", 119, ["pressure and slow cook", "13 programs", "stainless pot"]),
        ("Coffee grinder", 169, ["40 mm conical burrs", "40 settings", "timer"]),
        ("Dutch oven, 5.5 qt", 299, ["enamelled cast iron", "tight-fitting lid", "lifetime warranty"]),
        ("Toaster, 4 slice", 99, ["wide slots", "bagel mode", "stainless steel"]),
        ("Food processor", 229, ["14 cup", "slicing and shredding discs", "pulse control"]),
        ("Sous vide cooker", 149, ["1100 W", "Wi-Fi app", "0.1 C precision"]),
        ("Knife block set", 259, ["seven knives", "German steel", "bamboo block"]),
        ("Drip coffee maker", 139, ["12 cup", "thermal carafe", "bloom cycle"]),
        ("Countertop oven", 279, ["convection", "fits 12-inch pizza", "air fry mode"]),
        ("Pour-over kettle", 69, ["gooseneck spout", "1 L", "thermometer in lid"]),
        ("Cutting board, end grain", 119, ["walnut", "juice groove", "45 x 30 cm"]),
        ("Water filter pitcher", 39, ["10 cup", "filters lead", "filter indicator"]),
    ],
}


def build() -> list[dict]:
    products = []
    for category, items in PRODUCTS.items():
        for name, retail, features in items:
            products.append({
                "id": len(products),
                "name": name,
                "category": category,
                "retail": retail,
                "wholesale": round(retail * COST_RATIO[category]),
                "features": features,
            })
    return products


if __name__ == "__main__":
    out = Path(__file__).with_name("products.json")
    out.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {len(build())} products to {out}")
