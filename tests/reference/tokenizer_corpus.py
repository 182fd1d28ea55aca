"""Seeded generator of tokenizer test strings (used by test_tokenizer.py and the benchmark).

Each category targets a part of the Qwen3 pipeline that is easy to get subtly wrong: the
pre-tokenizer regex (contractions, digits, whitespace runs, \\r\\n), NFC, the byte-level BPE on
multi-byte characters (CJK, emoji, astral plane) and added-token matching.
"""
import random
import unicodedata

CJK_WORDS = ["你好", "世界", "模型", "推理", "服务器", "分词器", "中文", "测试", "数据", "今天",
             "天气", "很好", "我们", "学习", "人工智能", "机器", "語言", "東京", "日本語", "한국어",
             "안녕하세요", "こんにちは", "カタカナ", "ひらがな", "繁體字", "简体字"]
CJK_PUNCT = ["，", "。", "！", "？", "、", "“", "”", "：", "；", "（", "）", "《", "》", "…", "——", "　"]
LATIN_WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Hello", "World",
               "server", "token", "naïve", "café", "résumé", "Straße", "façade", "coöperate",
               "Ελληνικά", "русский", "עברית", "العربية", "हिन्दी", "ไทย", "tiếng", "Việt"]
EMOJI = ["🙂", "😀", "🎉", "🚀", "❤️", "👍🏽", "🇯🇵", "🇺🇸", "👨‍👩‍👧", "👩🏾‍💻", "🏳️‍🌈", "#️⃣",
         "🧑‍🤝‍🧑", "☕", "✅", "🤖", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟙𝟚𝟛", "🀄", "🂡"]
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>",
           "</tool_call>", "<tool_response>", "</tool_response>", "<|fim_prefix|>", "<|fim_middle|>",
           "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|vision_start|>",
           "<|image_pad|>", "<|box_start|>"]
NEAR_SPECIAL = ["<|im_", "<|im_start", "im_end|>", "<think", "</think", "<|", "|>", "<<|im_end|>>",
                "<|im_end|<|im_end|>", "< think>", "<THINK>", "<tool_call", "<|endoftext|"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]
ODD_SPACE = ["\u00a0", "\u3000", "\u2028", "\u2029", "\u200b", "\ufeff", "\x85", "\x0b", "\x0c",
             "\u2003", "\u202f", "\u180e", "\t", "\r", "\n", "\r\n"]
COMBINING = [chr(c) for c in range(0x300, 0x370)] + ["\u0323", "\u20dd", "\u3099", "\u309a"]
CODE = ["def f(x):\n\treturn x  *  2\n", "int main() {\r\n    return 0;\r\n}\r\n",
        "for (i = 0; i < n; ++i) {\n\t\tsum += a[i];\t// acc\n}", "    \n\n    if x:\n        pass",
        "SELECT * FROM t WHERE id = 42;", "x = {'a': [1, 2, 3], \"b\": None}", "#include <vector>\n",
        "fn main() -> Result<(), E> { Ok(()) }", "  \t  \t", "a\n\n\n\nb", "    ", "\t\t\t",
        "console.log(`${a}+${b}`);", "<div class=\"x\">&nbsp;</div>", "$ ls -la | grep '^d'"]


def _assigned_code_point(rng):
    """A random assigned, non-surrogate code point (BMP or astral) per Python's Unicode data."""
    while True:
        cp = rng.choice([rng.randrange(0x20, 0x3000), rng.randrange(0x3000, 0x10000),
                         rng.randrange(0x10000, 0x20000), rng.randrange(0x20000, 0x32000),
                         rng.randrange(0xE0000, 0xE0080)])
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if unicodedata.category(chr(cp)) in ("Cn", "Cs"):
            continue
        return chr(cp)


def _words(rng, pool, n):
    return [rng.choice(pool) for _ in range(n)]


def gen_chinese(rng):
    parts = []
    for _ in range(rng.randint(1, 12)):
        parts.append(rng.choice(CJK_WORDS))
        if rng.random() < 0.4:
            parts.append(rng.choice(CJK_PUNCT))
    return "".join(parts)


def gen_mixed(rng):
    parts = []
    for _ in range(rng.randint(1, 15)):
        pool = rng.choice([CJK_WORDS, LATIN_WORDS, CJK_PUNCT, [str(rng.randint(0, 10**6))]])
        parts.append(rng.choice(pool))
        parts.append(rng.choice(["", " ", "  ", ", ", "\n", "，"]))
    return "".join(parts)


def gen_emoji(rng):
    parts = []
    for _ in range(rng.randint(1, 10)):
        parts.append(rng.choice(EMOJI + LATIN_WORDS[:5] + CJK_WORDS[:3]))
        parts.append(rng.choice(["", " ", "\u200d", "\ufe0f", "\U0001F3FB"]))
    return "".join(parts)


def gen_combining(rng):
    parts = []
    for _ in range(rng.randint(1, 8)):
        base = rng.choice("aeiouAEIOUnNcCsSzZgGkK" + "가나다" + "かさた" + "ㄱ")
        marks = "".join(rng.choice(COMBINING) for _ in range(rng.randint(0, 3)))
        word = base + marks
        if rng.random() < 0.3:  # a precomposed word in decomposed form
            word = unicodedata.normalize("NFD", rng.choice(LATIN_WORDS + ["가각", "Ǖǖ", "Åström"]))
        if rng.random() < 0.1:  # Hangul conjoining jamo that NFC composes into syllables
            word = "\u1100\u1161" + rng.choice(["", "\u11a8"])
        parts.append(word)
        parts.append(rng.choice(["", " ", "-"]))
    return "".join(parts)


def gen_code(rng):
    parts = [rng.choice(CODE) for _ in range(rng.randint(1, 4))]
    sep = rng.choice(["", "\n", "\r\n", "\t", " " * rng.randint(1, 9)])
    text = sep.join(parts)
    if rng.random() < 0.3:
        text = text.replace("\n", "\r\n")
    return text + rng.choice(["", " ", "   ", "\t", "\n", " \n "])


def gen_numbers(rng):
    forms = [str(rng.randint(0, 10**rng.randint(1, 18))), f"{rng.random() * 1000:.4f}",
             f"{rng.randint(0, 10**9):,}", "１２３４", "٣٤٥", "²³", "½", "Ⅻ", "𝟘𝟙", "१२३",
             f"v{rng.randint(0, 9)}.{rng.randint(0, 99)}", f"{rng.randint(1, 31)}/{rng.randint(1, 12)}"]
    return rng.choice(["", " "]).join(rng.choice(forms) + rng.choice(["", "%", " km", "元"])
                                      for _ in range(rng.randint(1, 6)))


def gen_contractions(rng):
    parts = []
    for _ in range(rng.randint(1, 8)):
        word = rng.choice(["it", "I", "we", "they", "you", "she", "DON", "can", "x", "ſ", "K", "1"])
        c = rng.choice(CONTRACTIONS + ["'ſ", "'K", "'Ll", "'lL", "’s", "''", "'"])
        c = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in c)
        parts.append(word + c + rng.choice(["", "a", "ſa", "Ka", "s"]))
    return " ".join(parts)


def gen_whitespace(rng):
    parts = []
    for _ in range(rng.randint(1, 10)):
        parts.append(rng.choice(LATIN_WORDS + CJK_WORDS + ["", "x", "!", "1"]))
        parts.append("".join(rng.choice(ODD_SPACE + [" "] * 4) for _ in range(rng.randint(0, 6))))
    return "".join(parts)


def gen_long(rng):
    n = rng.choice([100, 257, 1000, 3000])
    unit = rng.choice(["a", "ab", "xyz", "中", "🙂", "1", " ", "\t", "!", "=", "é", "Ab", "\n", "\r\n"])
    text = (unit * n)[: max(n, len(unit))]
    return rng.choice(["", "word ", "中文"]) + text + rng.choice(["", " end", "!", "\n"])


def gen_special(rng):
    parts = []
    for _ in range(rng.randint(1, 8)):
        parts.append(rng.choice([rng.choice(SPECIAL), rng.choice(NEAR_SPECIAL), gen_mixed(rng),
                                 "\n", " ", "user\n", "assistant\n"]))
    return "".join(parts)


def gen_random_unicode(rng):
    return "".join(_assigned_code_point(rng) if rng.random() < 0.8 else rng.choice(" \n\t'1a")
                   for _ in range(rng.randint(1, 40)))


GENERATORS = [gen_chinese, gen_mixed, gen_emoji, gen_combining, gen_code, gen_numbers,
              gen_contractions, gen_whitespace, gen_long, gen_special, gen_random_unicode]


def generate(count, seed):
    rng = random.Random(seed)
    texts = ["", " ", "\n", "\r\n", "<|im_end|>", "a", "  ", "'s", "ſ"]
    while len(texts) < count:
        texts.append(GENERATORS[len(texts) % len(GENERATORS)](rng))
    return texts
