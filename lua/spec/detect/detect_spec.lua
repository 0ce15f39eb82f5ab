-- Specs of kong.plugins.language-router.detect (pure Lua, no Kong needed).
-- Run from lua/:  busted --lua=luajit spec/detect/detect_spec.lua
-- The example sentences were written for these specs.

package.path = "./?.lua;../lua/?.lua;" .. package.path

local detect_mod = require "kong.plugins.language-router.detect"


-- every detection of these specs also checks that `script(text)` (the script
-- alone, what the plugin asks when it knows the language) is the script
-- `detect(text)` returns
local function detect(text)
  local lang, confidence, script = detect_mod.detect(text)
  assert.are.equal(script, detect_mod.script(text), "script of " .. tostring(text))
  return lang, confidence, script
end


local function check_result(lang, confidence, script)
  if lang ~= nil then
    assert.is_string(lang)
    assert.is_true(detect_mod.SUPPORTED[lang], "unsupported code " .. tostring(lang))
  end
  if confidence ~= nil then
    assert.is_number(confidence)
    assert.is_true(confidence >= 0 and confidence <= 1, "confidence " .. confidence)
  end
  if script ~= nil then
    assert.is_string(script)
    assert.is_truthy(script:match("^%u%l%l%l$"), "script " .. script)
  end
end


local function expect(text, want_lang, want_script)
  local lang, confidence, script = detect(text)
  check_result(lang, confidence, script)
  assert.are.equal(want_lang, lang, text)
  if want_script then
    assert.are.equal(want_script, script, text)
  end
  if want_lang then
    assert.is_true(confidence >= detect_mod.MIN_CONFIDENCE)
  end
  return confidence
end


describe("language-router detect", function()
  it("Issue 25 item 2: the detector and its data take at most 12 MB of a worker's Lua heap", function()
    local names = { "kong.plugins.language-router.detect", "kong.plugins.language-router.detect.langdata",
                    "kong.plugins.language-router.detect.romandata" }
    local saved = {}
    for _, name in ipairs(names) do
      saved[name], package.loaded[name] = package.loaded[name], nil
    end
    collectgarbage("collect")
    collectgarbage("collect")
    local before = collectgarbage("count")
    local fresh = require "kong.plugins.language-router.detect"
    collectgarbage("collect")
    collectgarbage("collect")
    local mb = (collectgarbage("count") - before) / 1024
    for _, name in ipairs(names) do
      package.loaded[name] = saved[name]
    end
    assert.is_function(fresh.detect)
    assert.is_true(mb <= 12, ("%.2f MB"):format(mb))
  end)


  describe("scripts used by one language", function()
    local cases = {
      { "ਮੈਂ ਹਰ ਰੋਜ਼ ਸਵੇਰੇ ਬਾਜ਼ਾਰ ਜਾਂਦਾ ਹਾਂ।", "pa", "Guru" },
      { "હું દરરોજ સવારે બજારમાં જાઉં છું.", "gu", "Gujr" },
      { "ମୁଁ ପ୍ରତିଦିନ ସକାଳେ ବଜାରକୁ ଯାଏ।", "or", "Orya" },
      { "நான் தினமும் காலையில் சந்தைக்குச் செல்கிறேன்.", "ta", "Taml" },
      { "నేను ప్రతిరోజూ ఉదయం మార్కెట్‌కు వెళ్తాను.", "te", "Telu" },
      { "ನಾನು ಪ್ರತಿದಿನ ಬೆಳಿಗ್ಗೆ ಮಾರುಕಟ್ಟೆಗೆ ಹೋಗುತ್ತೇನೆ.", "kn", "Knda" },
      { "ഞാൻ എല്ലാ ദിവസവും രാവിലെ ചന്തയിൽ പോകുന്നു.", "ml", "Mlym" },
      { "මම හැමදාම උදේ වෙළඳපොළට යනවා.", "si", "Sinh" },
    }
    for _, c in ipairs(cases) do
      it(c[2] .. " from " .. c[3], function()
        local confidence = expect(c[1], c[2], c[3])
        assert.is_true(confidence > 0.9)
      end)
    end
  end)

  describe("Devanagari", function()
    it("Hindi", function()
      expect("मैं हर रोज़ सुबह बाज़ार जाता हूँ और सब्ज़ियाँ खरीदता हूँ।", "hi", "Deva")
      expect("यह किताब मेरे भाई की है, उसने इसे कल खरीदा था।", "hi", "Deva")
    end)

    it("Marathi (ळ, आहे, -च्या)", function()
      expect("मी रोज सकाळी बाजारात जातो आणि भाज्या विकत घेतो.", "mr", "Deva")
      expect("हे पुस्तक माझ्या भावाचे आहे, त्याने ते काल विकत घेतले.", "mr", "Deva")
      expect("शाळेच्या मुलांनी खेळाच्या मैदानात झाडे लावली.", "mr", "Deva")
    end)

    it("short questions and statements by pronouns and copulas (क्या तुम; मी, नव्हतो; हामी, धेरै)", function()
      expect("क्या तुम कल आओगे", "hi", "Deva")
      local mr = expect("मी काल तिथे नव्हतो", "mr", "Deva")
      local ne = expect("हामी अहिले धेरै व्यस्त", "ne", "Deva")
      assert.is_true(mr > 0.9 and ne > 0.9)
    end)

    it("Marathi ळ decides a two-word phrase (letter and letter-pair n-grams count)", function()
      expect("वेळ कमी", "mr", "Deva")
      expect("सकाळ झाली", "mr", "Deva")
    end)

    it("Nepali (छ, -ले, -लाई, हुन्छ)", function()
      expect("म हरेक दिन बिहान बजार जान्छु र तरकारी किन्छु।", "ne", "Deva")
      expect("यो किताब मेरो दाइको हो, उहाँले यसलाई हिजो किन्नुभएको थियो।", "ne", "Deva")
    end)

    it("Sanskrit (particles, visarga and virama endings)", function()
      expect("रामः प्रतिदिनं प्रातः आपणं गच्छति, तत्र शाकानि क्रीणाति च।", "sa", "Deva")
      expect("सः बालकः पुस्तकं पठति अपि च लिखति।", "sa", "Deva")
    end)

    it("Maithili (अछि, सभ, एहि, आ)", function()
      expect("ई हमर घर अछि आ हम सभ एहि ठाम रहैत छी।", "mai", "Deva")
    end)

    it("Sanskrit case endings (-स्य, -ानां, -ाणां, -ायां, -म्)", function()
      expect("अस्मिन् देशे कृषकाणां जीवनम् कठिनम्", "sa", "Deva")
      expect("सर्वेषां छात्राणां परीक्षायां सफलता आवश्यकी।", "sa", "Deva")
      expect("बालकस्य पुस्तकम्", "sa", "Deva")
    end)

    it("Sanskrit avagraha (ऽ) is a Sanskrit signal", function()
      expect("तेऽद्य आगताः", "sa", "Deva")
      -- one Sanskrit signal (a visarga) among Hindi words is not enough; an avagraha is a
      -- second one (ते अद्य आगताः without it is Sanskrit too now: ते and अद्य are mined words)
      local lang = detect("वह भी आगतः")
      assert.are_not.equal("sa", lang)
      expect("वह भीऽ आगतः", "sa", "Deva")
    end)

    it("hi/mr/ne word endings mined from word lists decide content-word pairs", function()
      -- word pairs from the training word lists (Tesseract hin, mar, nep)
      expect("बताएगा लगाई", "hi", "Deva")          -- -एगा
      expect("कृतीकडे श्रेय", "mr", "Deva")         -- -कडे
      expect("जंगलमा सौहार्द", "ne", "Deva")        -- -लमा
      expect("कोषको लेस्टरले", "ne", "Deva")        -- -को
    end)

    it("Maithili postpositions written onto the word (-सँ, -केँ, -मे) and -बाक", function()
      expect("बच्चा सभकेँ पढ़बाक अधिकार छैक।", "mai", "Deva")
      expect("हमर बहिन गामसँ काल्हि आएल।", "mai", "Deva")
    end)

    it("Issue 25 item 2: short Sanskrit sentences by the words mined from running text", function()
      -- lines of the tune split (bench/data/deva_tune.tsv: never mined), hi/mr/ne before
      expect("पातु नः देवी सुभगा सरस्वती", "sa", "Deva")                  -- UD_Sanskrit-Vedic
      expect("विश्वामित्रो ययौ अग्रे ततो रामो महायशाः", "sa", "Deva")      -- Valmiki Ramayana
    end)

    it("Issue 25: a visarga typed as an ASCII colon is half a visarga (Hindi labels stay Hindi)", function()
      expect("छात्रा: पुस्तकानि पठन्ति।", "sa", "Deva")
      expect("भवत: अनुरोध: सफल: जात:", "sa", "Deva")
      expect("नाम: राम, पिता का नाम: श्याम, पता: दिल्ली, राज्य: उत्तर प्रदेश", "hi", "Deva")
      expect("तारीख: 12 मार्च, स्थान: मुंबई, समय: शाम 5 बजे", "hi", "Deva")
      -- a colon between letters is no visarga
      assert.are_not.equal("sa", (detect("छात्रा:पुस्तकानि पठन्ति।")))
    end)

    it("Issue 25: Maithili by the words mined from interface strings translated by people", function()
      -- lines of the tune split (bench/data/deva_tune.tsv mai-ui: never mined), hi or ne before
      expect("आवंटनक दर बेसी तेज अछि", "mai", "Deva")
      expect("अहाँक सुरक्षा क्षेत्र नीति द्वारा अवरुद्ध", "mai", "Deva")
      expect("एकटा अज्ञात त्रुटि उत्पन्न भेल ( )", "mai", "Deva")
      expect("रिमोट डिबगिंग कनेक्शन देबाक लेल आगत आग्रह जाँचल गेल. एकटा दूरस्थ क्लाइंट अहाँक ब्राउजर पर पूर्ण नियंत्रण लए लेत!",
             "mai", "Deva")
      -- the auxiliary गेल and the imperative करू are Maithili markers, which Marathi has too
      expect("पृष्ठभूमी मे आनल गेल", "mai", "Deva")
      expect("आपण उद्या हे काम करू.", "mr", "Deva")
      expect("चला, आपण सगळे मिळून प्रयत्न करू.", "mr", "Deva")
    end)

    it("Issue 25: Hindi interface strings are not Maithili (words Hindi shares count half)", function()
      -- प्रमाणपत्र, सुरक्षा, विफल, कनेक्शन: frequent in Maithili's interface strings, and Hindi words
      for _, text in ipairs({
        "इस वेबसाइट का सुरक्षा प्रमाणपत्र अवैध है",
        "सर्वर से कनेक्शन विफल",
        "त्रुटि: अज्ञात प्रोटोकॉल",
        "सुरक्षित कनेक्शन विफल",
        "अमान्य सुरक्षा प्रमाणपत्र",
        "प्रमाणपत्र सत्यापन विफल",
      }) do
        assert.are_not.equal("mai", (detect(text)), text)
      end
    end)

    it("Hindi words that have such an ending stay Hindi (समिति, सदस्य, यानि, उसमे)", function()
      expect("समिति के सदस्य ने अपनी रिपोर्ट पेश की।", "hi", "Deva")
      expect("यानि उसमे कुछ भी नहीं था।", "hi", "Deva")
    end)

    it("nukta letters, precomposed or not, give the same answer", function()
      local a = { detect("मैं रोज़ाना ज़रूरी काम करता हूँ।") }
      local b = { detect("मैं रोज़ाना ज़रूरी काम करता हूँ।") }
      assert.are.same(a, b)
    end)
  end)

  describe("Bengali script", function()
    it("Bengali (র)", function()
      expect("আমি প্রতিদিন সকালে বাজারে যাই এবং সবজি কিনি।", "bn", "Beng")
    end)

    it("Assamese (ৰ, ৱ)", function()
      expect("মই প্ৰতিদিনে ৰাতিপুৱা বজাৰলৈ যাওঁ আৰু পাচলি কিনো।", "as", "Beng")
    end)

    it("without any r: Assamese and Bengali marker words", function()
      expect("তেওঁ আহিছিল বুলি মই শুনিছোঁ।", "as", "Beng")
      expect("তিনি এখানে নেই।", "bn", "Beng")
    end)

    it("an Assamese letter outweighs one Bengali r (ৰ ৱ are never Bengali)", function()
      expect("ৰাম অর্থ বুজে", "as", "Beng")
    end)

    it("words common to both are no marker (এটা, এখন, তাই, দিয়ে)", function()
      expect("এটা কি নতুন?", "bn", "Beng")
      expect("তাই এখন আমি বাড়ি যাব।", "bn", "Beng")
    end)

    it("no evidence either way: Bengali", function()
      expect("নদী", "bn", "Beng")
    end)
  end)

  describe("Arabic script", function()
    it("Urdu (ی ک ہ ے ٹ ڈ)", function()
      expect("میں ہر روز صبح بازار جاتا ہوں اور سبزیاں خریدتا ہوں۔", "ur", "Arab")
    end)

    it("Sindhi (ڪ ٽ ڏ ٻ ۾ ۽)", function()
      expect("مان هر روز صبح جو بازار ويندو آهيان ۽ ڀاڄيون وٺندو آهيان.", "sd", "Arab")
      expect("ٻار اسڪول ۾ ڪتاب پڙهن ٿا.", "sd", "Arab")
    end)
  end)

  describe("Latin script", function()
    it("English", function()
      expect("I go to the market every morning and buy vegetables.", "en", "Latn")
      expect("How are you?", "en", "Latn")
    end)

    it("other Latin-script languages: nil", function()
      expect("Ich gehe jeden Morgen auf den Markt und kaufe Gemüse.", nil, "Latn")
      expect("Je vais au marché tous les matins pour acheter des légumes.", nil, "Latn")
    end)
  end)

  describe("romanized Indic (Latin script)", function()
    local cases = {
      { "main kal office nahi aa paunga, mujhe doctor ke paas jaana hai", "hi" },
      { "mi udya office la yenar nahi, mala doctor kade jayche aahe", "mr" },
      { "ami kal office jabo na, amar sharir bhalo nei", "bn" },
      { "hu kale office nahi aavu, mare doctor pase javanu che", "gu" },
      { "naan naalai office ku varamaatten, enakku udambu sariyillai", "ta" },
      { "nenu repu office ki raanu, naaku aarogyam baaledu", "te" },
      { "naanu naale office ge barolla, nanage huSaaru illa", "kn" },
      { "njan naale officil varilla, enikku sukhamilla", "ml" },
    }
    for _, c in ipairs(cases) do
      it(c[2] .. " + Latn: " .. c[1], function()
        expect(c[1], c[2], "Latn")
      end)
    end

    it("pa + Latn: main kal daftar nahi aavanga, mainu doctor kol jana hai ji", function()
      -- Issue 25: comes out hi since the models learnt real Hinglish frequencies
      -- (main, nahi, hai are cheaper in hi); main's margin for pa was 0.4 nats.
      -- Punjabi has no corpus of real frequencies here (no pa train split found).
      pending("pa vs hi on the function words romanized Punjabi shares with Hinglish")
    end)

    -- Issue 25 item 1: Tamil, Malayalam and Sindhi as people type them ("panringa",
    -- "kollam", "aahin"), which the romanizer-only models took for other languages
    local typed = {
      { "enna panringa, ellarum nalla irukingala", "ta" },
      { "intha padam romba nalla irukku, kandippa paarunga", "ta" },
      { "ee padam kollam, ellarum kananam", "ml" },
      { "aaun tokhe ghano yaad kayan tho, tun kithe aahin", "sd" },
    }
    for _, c in ipairs(typed) do
      it("Issue 25 item 1: human romanization, " .. c[2] .. ": " .. c[1], function()
        expect(c[1], c[2], "Latn")
      end)
    end

    it("the script tells Hinglish from Devanagari Hindi", function()
      local lang, _, script = detect("kal main ghar par rahunga aur khana banaunga")
      assert.are.same({ "hi", "Latn" }, { lang, script })
      lang, _, script = detect("कल मैं घर पर रहूँगा और खाना बनाऊँगा")
      assert.are.same({ "hi", "Deva" }, { lang, script })
    end)

    it("a short Hinglish sentence whose verb form the lexicon lacks is still clearly hi", function()
      -- the character model is trained on word types: a content word no longer
      -- costs more in Hindi (token-weighted word frequencies) than in Punjabi or
      -- Gujarati (word lists only)
      for _, text in ipairs({ "main thoda late aaunga", "aaj main school nahi jaunga" }) do
        local lang, confidence, script = detect(text)
        assert.are.same({ "hi", "Latn" }, { lang, script }, text)
        assert.is_true(confidence >= 0.9, text .. ": " .. tostring(confidence))
      end
    end)

    it("Hinglish spellings the romanizer does not make (dhvani's lexicon) count as Hindi", function()
      -- accha: the romanizer writes achchha/achha for अच्छा
      expect("accha bye", "hi", "Latn")
    end)

    it("one Hinglish word in four short English words is English", function()
      -- Issue 25: since the human data only accha is Indic (1 word in 4, below
      -- ROMAN_SHARE); the romanizer-only models also took "see" for Hindi
      expect("ok accha see you", "en", "Latn")
    end)

    it("code-mixed with English words: the Indic language", function()
      expect("bhai please meeting ka time change kar do, mujhe aaj late ho jayega", "hi", "Latn")
      expect("naan indru meeting ku late aaga varuven, please konjam kaathirukkavum", "ta", "Latn")
      expect("nenu ee roju meeting ki late ga vasthanu, please wait cheyyandi", "te", "Latn")
      expect("sab log party mein aa rahe hain, you should also come", "hi", "Latn")
      expect("office ka kaam khatam karke I will call you", "hi", "Latn")   -- khatam: epenthesis
    end)

    it("English with a few Indian words stays English", function()
      expect("We had dinner at a dhaba near the highway and the dal was great.", "en", "Latn")
      expect("Please book a table for two at the restaurant tonight.", "en", "Latn")
      expect("The meeting is at 10 am in the main office, please be on time.", "en", "Latn")
    end)

    it("names do not make English text Indic", function()
      -- a capitalised word inside a sentence that English does not know is set aside
      expect("Rahul and Priya flew from Mumbai to Chennai for the Diwali holidays.", "en", "Latn")
      expect("Deepika Padukone and Ranveer Singh attended the event.", "en", "Latn")
      expect("We visited Jaipur, Udaipur and Jodhpur last winter.", "en", "Latn")
    end)

    it("names inside Hinglish, and Hinglish in capitals, stay Hinglish", function()
      expect("Kal main Delhi ja raha hoon, Priya ko bata dena", "hi", "Latn")
      expect("Kal Main Ghar Par Rahunga Aur Khana Banaunga", "hi", "Latn")   -- Title Case: scored whole
      expect("KAL MAIN GHAR PAR RAHUNGA AUR KHANA BANAUNGA", "hi", "Latn")
    end)

    it("accented Latin letters count as their base letter", function()
      expect("Le café est très bon et la crème brûlée aussi.", nil, "Latn")
      expect("Ich möchte morgen früh nach München fahren.", nil, "Latn")
    end)

    it("a very long Latin word is cut, not mis-scored", function()
      check_result(detect(string.rep("abcdefghij", 30) .. " hai nahi kya"))
    end)
  end)

  describe("mixed scripts", function()
    it("go by the majority script", function()
      expect("मैं कल office जाऊँगा और meeting में सबको बताऊँगा।", "hi", "Deva")
      expect("Please send the report to the ग्राहक by Monday evening.", "en", "Latn")
      expect("আমি আজ বাজারে যাব, then home.", "bn", "Beng")
    end)

    it("a native script wins from half the Latin letter count on", function()
      expect("Breaking News from Lahore in Urdu: حکومت نے نئی پالیسی کا اعلان کیا ہے", "ur", "Arab")
      expect("Latest news from Delhi, read more online: सरकार ने नई योजना शुरू की।", "hi", "Deva")
      expect("Please read the full story online at our website: नई योजना", "en", "Latn")
    end)

    it("a minority script lowers the confidence", function()
      local _, pure = detect("मैं कल दफ़्तर जाऊँगा और बैठक में सबको बताऊँगा।")
      local _, mixed = detect("मैं कल office जाऊँगा और meeting में सबको बताऊँगा।")
      assert.is_true(mixed < pure)
    end)
  end)

  describe("too little text", function()
    it("returns nil", function()
      for _, text in ipairs({ "", " ", "12345", "३४५६", "১২৩", "!!!", "...?", "😀😀",
                              "a", "क", "ক", "+91 98765 43210", "2024-01-01 10:00" }) do
        local lang, confidence = detect(text)
        assert.is_nil(lang, text)
        if confidence ~= nil then
          assert.are.equal(0, confidence)
        end
      end
    end)

    it("a single word is enough", function()
      expect("चाहिए", "hi", "Deva")
      expect("आहे", "mr", "Deva")
      expect("छन्", "ne", "Deva")
      expect("ਪਾਣੀ", "pa", "Guru")
      expect("water", "en", "Latn")
    end)

    it("a word common to Hindi, Marathi and Nepali gets a low confidence at most", function()
      local lang, confidence = detect("पानी")
      assert.is_true(lang == nil or confidence < 0.5)
    end)

    it("confidence grows with length", function()
      local _, short = detect("ਪਾਣੀ")
      local _, long = detect("ਮੈਂ ਹਰ ਰੋਜ਼ ਸਵੇਰੇ ਬਾਜ਼ਾਰ ਜਾਂਦਾ ਹਾਂ।")
      assert.is_true(short < long)
    end)
  end)

  describe("robustness", function()
    it("non-string input returns nil", function()
      for _, v in ipairs({ 42, true, {}, function() end, 1.5 }) do
        assert.is_nil((detect(v)))
      end
      assert.is_nil((detect(nil)))
      assert.is_nil((detect()))
    end)

    it("invalid UTF-8 never raises", function()
      for _, text in ipairs({
        "\255\254\253", "\192\175", "\224\128\175", "\237\160\128", "\244\144\128\128",
        "\224\164", "\224", "\240\159\152", "abc\128def", "\194",
      }) do
        check_result(detect(text))
      end
    end)

    it("invalid bytes inside text are skipped", function()
      expect("मैं हर रोज़ सुबह\255 बाज़ार जाता हूँ\192 और सब्ज़ियाँ खरीदता हूँ।", "hi", "Deva")
    end)

    it("huge input: only the start is read", function()
      local text = string.rep("मैं हर रोज़ सुबह बाज़ार जाता हूँ। ", 50000)
      local t0 = os.clock()
      expect(text, "hi", "Deva")
      assert.is_true(os.clock() - t0 < 0.5)
    end)

    it("fuzz: random byte strings never raise", function()
      math.randomseed(42)
      local char = string.char
      for _ = 1, 3000 do
        local n = math.random(0, 200)
        local bytes = {}
        for i = 1, n do
          bytes[i] = char(math.random(0, 255))
        end
        local text = table.concat(bytes)
        local ok, lang, confidence, script = pcall(detect, text)
        assert.is_true(ok, lang)
        check_result(lang, confidence, script)
      end
    end)

    it("fuzz: random Indic, Arabic and Latin code points never raise", function()
      math.randomseed(7)
      local ranges = { { 0x0600, 0x06FF }, { 0x0900, 0x0DFF }, { 0x20, 0x24F }, { 0x2000, 0x206F } }
      local function utf8(cp)
        if cp < 0x80 then return string.char(cp) end
        if cp < 0x800 then
          return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64)
        end
        return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64,
                           0x80 + cp % 64)
      end
      for _ = 1, 2000 do
        local parts = {}
        for i = 1, math.random(0, 80) do
          local r = ranges[math.random(#ranges)]
          parts[i] = utf8(math.random(r[1], r[2]))
        end
        check_result(detect(table.concat(parts)))
      end
    end)
  end)

  describe("module", function()
    it("exports SUPPORTED with the codes it can return", function()
      for _, code in ipairs({ "hi", "mr", "ne", "sa", "mai", "bn", "as", "pa", "gu", "or",
                              "ta", "te", "kn", "ml", "ur", "sd", "en", "si" }) do
        assert.is_true(detect_mod.SUPPORTED[code], code)
      end
    end)

    it("reads n-gram keys in the generator's layout (shorter n-grams padded with 0)", function()
      local langdata = require "kong.plugins.language-router.detect.langdata"
      local order_mul = 2 ^ 30
      for _, g in ipairs(langdata.groups) do
        local seen = { 0, 0, 0 }
        for _, key in ipairs(g.keys) do
          local order = math.floor(key / order_mul)
          seen[order] = seen[order] + 1
          local codes = key % order_mul
          if order == 1 then
            assert.are.equal(0, codes % 2 ^ 20, key)   -- c1 * 2^20
          elseif order == 2 then
            assert.are.equal(0, codes % 2 ^ 10, key)   -- c1 * 2^20 + c2 * 2^10
          end
        end
        assert.is_true(seen[1] > 0 and seen[2] > 0 and seen[3] > 0, g.script)
      end
    end)

    it("is pure Lua: no ngx, no kong", function()
      assert.is_nil(rawget(_G, "ngx"))
      assert.is_nil(rawget(_G, "kong"))
    end)
  end)

  -- script() counts letters without decoding into the buffers detect() scores
  -- (count() against decode()); its answer must stay detect()'s script.
  describe("script() against detect()", function()
    local function same_script(text)
      local script = detect_mod.script(text)
      local _, _, want = detect_mod.detect(text)
      if script ~= want then
        assert.are.equal(want, script, ("script of %q"):format(text:sub(1, 200)))
      end
    end

    -- the spec's folder, to find the repository's data whatever busted's directory
    local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]+$") or "spec/detect"
    local root = here .. "/../../.."

    it("agrees on every text of the ULCA examples and the detector's dev and speed sets", function()
      local texts = {}
      local fixtures = require "helpers.fixtures"
      local function strings(v)
        if type(v) == "string" then
          texts[#texts + 1] = v
        elseif type(v) == "table" then
          for _, x in pairs(v) do strings(x) end
        end
      end
      strings(fixtures.decoded)
      -- bench/data: the last tab-separated field of every line not a comment
      for _, name in ipairs({ "deva_dev.tsv", "roman_dev.tsv", "speed.tsv" }) do
        for line in io.lines(root .. "/bench/data/" .. name) do
          local text = line:match("^[^#][^\t]*\t.-([^\t]*)$")
          if text then
            texts[#texts + 1] = text
          end
        end
      end
      assert.is_true(#texts > 9000, #texts .. " texts")
      -- the holdout of bench/detect_bench.lua too, where this checkout has it
      local path = os.getenv("LANG_HOLDOUT") or (root .. "/../shared/eval/lang/holdout.jsonl")
      local f = io.open(path, "r")
      if f then
        local cjson = require "cjson.safe"
        for line in f:lines() do
          local item = cjson.decode(line)
          if item and type(item.text) == "string" then
            texts[#texts + 1] = item.text
          end
        end
        f:close()
      end
      for _, text in ipairs(texts) do
        same_script(text)
      end
    end)

    -- Deterministic pieces (Park-Miller: the same strings on every LuaJIT).
    local seed
    local function rnd(n)            -- 1..n
      seed = seed * 16807 % 2147483647
      return seed % n + 1
    end
    local char = string.char
    local function utf8(cp)
      if cp < 0x80 then return char(cp) end
      if cp < 0x800 then
        return char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64)
      end
      if cp < 0x10000 then
        return char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
      end
      return char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
                  0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
    end
    -- precomposed nukta letters: the Devanagari and Bengali ones detect() decomposes
    -- into two entries, and Gurmukhi and Oriya ones it keeps whole
    local NUKTA_LETTERS = { 0x0958, 0x0959, 0x095A, 0x095B, 0x095C, 0x095D, 0x095E, 0x095F,
                            0x09DC, 0x09DD, 0x09DF, 0x0A59, 0x0A5A, 0x0A5B, 0x0A5E, 0x0B5C, 0x0B5D }
    local PIECES = {
      function() return char(0x60 + rnd(26)) end,                     -- ASCII letter
      function() return char(0x40 + rnd(26)) end,
      function() return ({ " ", ".", ",", "1", "\n", "'" })[rnd(6)] end,
      function() return utf8(0x0900 + rnd(128) - 1) end,              -- Devanagari
      function() return utf8(0x0915 + rnd(37) - 1) end,               -- Devanagari consonants
      function() return utf8(NUKTA_LETTERS[rnd(#NUKTA_LETTERS)]) end,
      function() return utf8(NUKTA_LETTERS[rnd(11)]) end,             -- decomposed ones only
      function() return utf8(0x0980 + rnd(128) - 1) end,              -- Bengali
      function() return utf8(0x0A00 + rnd(128) - 1) end,              -- Gurmukhi
      function() return utf8(0x0B00 + rnd(128) - 1) end,              -- Oriya
      function() return utf8(0x0B80 + rnd(128) - 1) end,              -- Tamil
      function() return utf8(0xBF + rnd(65)) end,                     -- Latin-1 (with × ÷)
      function() return utf8(0x0620 + rnd(40)) end,                   -- Arabic
      function() return utf8(0x1F600 + rnd(80)) end,                  -- 4 bytes
      function() return char(0x7F + rnd(65)) end,                     -- stray continuation
      function() return char(({ 0xC0, 0xC1, 0xF5, 0xF8, 0xFE, 0xFF })[rnd(6)]) end,
      function() return char(0xE0, 0x80 + rnd(32) - 1, 0x80 + rnd(64) - 1) end,   -- overlong
      function() return char(0xED, 0x9F + rnd(33), 0x80 + rnd(64) - 1) end,     -- surrogate (and U+D7xx)
      function() return char(0xF4, 0x8F + rnd(2), 0x80, 0x80) end,    -- U+10FFFF, above it
      function() return utf8(0x0900 + rnd(128) - 1):sub(1, rnd(2)) end,   -- truncated
    }

    local function random_text(parts)
      local out = {}
      -- mostly a few kinds of piece per text, so that some script has a majority
      local kinds = { rnd(#PIECES), rnd(#PIECES), rnd(#PIECES) }
      for i = 1, parts do
        out[i] = PIECES[rnd(4) == 1 and rnd(#PIECES) or kinds[rnd(3)]]()
      end
      return table.concat(out)
    end

    it("agrees on deterministic random strings (invalid and truncated UTF-8, surrogates, nukta letters)",
      function()
        seed = 20261130
        for _ = 1, 4000 do
          local text = random_text(rnd(60))
          same_script(text)
          -- truncated at the end, inside a sequence or not
          same_script(text:sub(1, #text - rnd(3)))
        end
      end)

    it("agrees on texts longer than MAX_BYTES (a sequence across the limit included)", function()
      seed = 4242
      local max = detect_mod.MAX_BYTES
      for _ = 1, 150 do
        -- a prefix of some length near the limit, then other pieces across it
        local head = random_text(rnd(40))
        head = string.rep(head, math.floor((max - rnd(8)) / math.max(#head, 1)))
        local text = head .. random_text(rnd(200)) .. string.rep(utf8(NUKTA_LETTERS[rnd(11)]), rnd(4000))
        same_script(text)
      end
      -- the letters after the limit are not counted
      local text = string.rep("a", max - 1) .. string.rep(utf8(0x0958), 10000)
      assert.are.equal("Latn", detect_mod.script(text))
      same_script(text)
    end)

    it("the Indic shortcut of the shared step equals UTF-8 validation plus classification", function()
      -- decode() and count() share letter_at(), so the comparisons above do
      -- not test its shortcut for U+0900..U+0DFF: every sequence with lead
      -- byte E0 (the only one it takes) against utf8_at() and classify(),
      -- reached as upvalues (nothing exports them)
      local function upvalue(fn, name)
        for i = 1, 100 do
          local n, v = debug.getupvalue(fn, i)
          if n == name then return v end
          if n == nil then break end
        end
        error("no upvalue " .. name)
      end
      local letter_at = upvalue(upvalue(detect_mod.script, "count"), "letter_at")
      local utf8_at, classify = upvalue(letter_at, "utf8_at"), upvalue(letter_at, "classify")
      local tails = { "" }
      for b2 = 0, 255 do
        tails[#tails + 1] = char(b2)
        for b3 = 0, 255 do
          tails[#tails + 1] = char(b2, b3)
        end
      end
      local indic = 0
      for _, tail in ipairs(tails) do
        local text = "\224" .. tail
        local cp, sid, nxt = letter_at(text, 1)
        local want, adv = utf8_at(text, 1)
        local want_sid = want >= 0 and classify(want) or 0
        if cp ~= want or sid ~= want_sid or nxt ~= 1 + adv then
          assert.are.same({ want, want_sid, 1 + adv }, { cp, sid, nxt }, ("%q"):format(text))
        end
        if cp >= 0x0900 and cp < 0x0E00 then
          indic = indic + 1
        end
      end
      assert.are.equal(0x0500, indic)
    end)

    it("agrees where the second entry of a decomposed nukta letter decides the majority", function()
      -- k nukta letters are 2k entries: against m Latin letters (Latin counts
      -- half) and against m letters of a higher or lower script id, the
      -- majority changes where 2k crosses m or m / 2
      local rivals = { 0x61, 0x0915, 0x0995, 0x0A15, 0x0B95 }   -- a, Deva ka, Beng ka, Guru ka, Taml ka
      for _, nukta in ipairs({ 0x0958, 0x095F, 0x09DC, 0x09DF }) do
        for _, rival in ipairs(rivals) do
          for k = 1, 6 do
            for m = 0, 14 do
              same_script(string.rep(utf8(nukta), k) .. " " .. string.rep(utf8(rival), m))
            end
          end
        end
      end
      -- two nukta letters are four letters: half of 8 Latin ones, more than 3 Devanagari ones
      assert.are.equal("Deva", detect_mod.script("\u{0958}\u{0959} abcdefgh"))
      assert.are.equal("Beng", detect_mod.script("\u{09DC}\u{09DD} \u{0915}\u{0916}\u{0917}"))
    end)
  end)
end)
