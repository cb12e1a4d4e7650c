"""The answer bot's benchmark set: a shop's help articles in az, en and ru, and visitors' questions.

Each question names the slug of the article that answers it, or None when no article does (those
must be left to a human). Questions are paraphrases: they share some words with their article,
as real questions do, but are not its title.
"""

from __future__ import annotations

ARTICLES: list[dict[str, str]] = [
    # --- Azerbaijani ---------------------------------------------------------------------------
    {"slug": "az-catdirilma-muddeti", "locale": "az", "category": "Çatdırılma",
     "title": "Çatdırılma nə qədər vaxt aparır?",
     "body": "Bakı daxilində sifarişlər 1-2 iş günü ərzində çatdırılır.\n\n"
             "Regionlara (Gəncə, Sumqayıt, Şəki və s.) çatdırılma 3-5 iş günü çəkir."},
    {"slug": "az-catdirilma-qiymeti", "locale": "az", "category": "Çatdırılma",
     "title": "Çatdırılmanın qiyməti",
     "body": "50 manatdan yuxarı sifarişlərdə Bakıya çatdırılma pulsuzdur.\n\n"
             "Daha kiçik sifarişlər üçün kuryer xidməti 3 manat, regionlara isə 6 manatdır."},
    {"slug": "az-geri-qaytarma", "locale": "az", "category": "Qaytarma",
     "title": "Malı necə geri qaytarım?",
     "body": "Məhsulu aldığınız gündən 14 gün ərzində geri qaytara bilərsiniz.\n\n"
             "Qaytarmaq üçün məhsul istifadə olunmamış və qablaşdırması zədəsiz olmalıdır. "
             "Hesabınızda «Sifarişlərim» bölməsində «Qaytar» düyməsini basın."},
    {"slug": "az-pulun-qaytarilmasi", "locale": "az", "category": "Qaytarma",
     "title": "Pulun geri ödənilməsi",
     "body": "Qaytarılan malın pulu kartınıza 5 iş günü ərzində köçürülür.\n\n"
             "Nağd ödənişlərdə pul mağazanın kassasından geri verilir."},
    {"slug": "az-odenis-usullari", "locale": "az", "category": "Ödəniş",
     "title": "Hansı ödəniş üsulları var?",
     "body": "Visa və Mastercard kartları, Apple Pay, Google Pay ilə onlayn ödəyə bilərsiniz.\n\n"
             "Kuryerə nağd və ya kartla ödəniş də mümkündür."},
    {"slug": "az-taksit", "locale": "az", "category": "Ödəniş",
     "title": "Hissə-hissə ödəniş (taksit)",
     "body": "Birkart və Tamkart ilə 3, 6 və 12 aylıq taksitlə alış edə bilərsiniz, faizsiz.\n\n"
             "Taksit 100 manatdan yuxarı alışlara şamil olunur."},
    {"slug": "az-zemanet", "locale": "az", "category": "Məhsullar",
     "title": "Zəmanət şərtləri",
     "body": "Elektronika məhsullarına istehsalçının 12 aylıq rəsmi zəmanəti verilir.\n\n"
             "Zəmanət talonunu və çeki saxlayın: servis mərkəzi onları tələb edir."},
    {"slug": "az-sifarisin-izlenmesi", "locale": "az", "category": "Sifarişlər",
     "title": "Sifarişimi necə izləyə bilərəm?",
     "body": "Sifariş göndəriləndən sonra SMS ilə izləmə nömrəsi alırsınız.\n\n"
             "Həmin nömrəni saytın «İzləmə» səhifəsinə yazıb bağlamanın harada olduğunu görə bilərsiniz."},
    {"slug": "az-sifarisi-legv-etmek", "locale": "az", "category": "Sifarişlər",
     "title": "Sifarişi ləğv etmək",
     "body": "Sifariş anbardan çıxmayıbsa, «Sifarişlərim» bölməsində onu ləğv edə bilərsiniz.\n\n"
             "Göndərilmiş sifarişi ləğv etmək olmur, amma gəldikdən sonra geri qaytara bilərsiniz."},
    {"slug": "az-magaza-unvani", "locale": "az", "category": "Mağazalar",
     "title": "Mağazalarımızın ünvanı və iş saatları",
     "body": "Mağazamız Nizami küçəsi 10, Bakı ünvanında yerləşir.\n\n"
             "Hər gün 10:00-dan 21:00-dək açığıq, bazar günü 11:00-dan 19:00-dək."},
    {"slug": "az-hesab-sifre", "locale": "az", "category": "Hesab",
     "title": "Şifrəni unutmuşam",
     "body": "Giriş səhifəsində «Şifrəni unutdum» linkinə basın və e-poçtunuzu yazın.\n\n"
             "Yeni şifrə qurmaq üçün link e-poçtunuza göndəriləcək."},
    {"slug": "az-bonus", "locale": "az", "category": "Bonuslar",
     "title": "Bonus proqramı",
     "body": "Hər alışdan məbləğin 2%-i bonus balansınıza yazılır.\n\n"
             "Bonuslarla növbəti alışın 30%-ə qədərini ödəyə bilərsiniz."},
    # --- English ---------------------------------------------------------------------------------
    {"slug": "en-shipping-times", "locale": "en", "category": "Shipping",
     "title": "How long does shipping take?",
     "body": "Orders inside Baku are delivered in 1-2 business days.\n\n"
             "Delivery to other regions takes 3-5 business days. International shipping is not "
             "available yet."},
    {"slug": "en-shipping-cost", "locale": "en", "category": "Shipping",
     "title": "Delivery charges",
     "body": "Delivery in Baku is free for orders over 50 AZN. Smaller orders pay a 3 AZN courier "
             "fee; regions pay 6 AZN."},
    {"slug": "en-returns", "locale": "en", "category": "Returns",
     "title": "Returning an item",
     "body": "You can return any unused item within 14 days of receiving it, in its original "
             "packaging.\n\nStart the return from My orders by pressing Return."},
    {"slug": "en-refunds", "locale": "en", "category": "Returns",
     "title": "When will I get my refund?",
     "body": "Refunds reach your card within 5 business days after we receive the returned "
             "item.\n\nCash payments are refunded at the store's till."},
    {"slug": "en-payment-methods", "locale": "en", "category": "Payment",
     "title": "Payment methods",
     "body": "We accept Visa and Mastercard cards, Apple Pay and Google Pay online.\n\n"
             "You can also pay the courier in cash or by card."},
    {"slug": "en-gift-cards", "locale": "en", "category": "Payment",
     "title": "Gift cards",
     "body": "Gift cards worth 20, 50 or 100 AZN are sold online and in our store. They are "
             "valid for one year and can be used for several purchases."},
    {"slug": "en-warranty", "locale": "en", "category": "Products",
     "title": "Warranty",
     "body": "Electronics come with the manufacturer's official 12-month warranty.\n\n"
             "Keep the warranty card and the receipt: the service centre asks for both."},
    {"slug": "en-order-tracking", "locale": "en", "category": "Orders",
     "title": "Tracking your order",
     "body": "When your order ships you get a tracking number by SMS. Enter it on the Tracking "
             "page to see where the parcel is."},
    {"slug": "en-change-address", "locale": "en", "category": "Orders",
     "title": "Changing the delivery address",
     "body": "You can change the delivery address in My orders until the order leaves the "
             "warehouse. After that, call the courier service on the number in your SMS."},
    {"slug": "en-account-delete", "locale": "en", "category": "Account",
     "title": "Deleting your account",
     "body": "Go to Settings, then Privacy, and press Delete account. Your personal data is "
             "erased within 30 days; bonus points are lost."},
    {"slug": "en-newsletter", "locale": "en", "category": "Account",
     "title": "Unsubscribe from emails",
     "body": "Every newsletter has an Unsubscribe link at the bottom. You can also switch "
             "marketing emails off in Settings, Notifications."},
    # --- Russian ---------------------------------------------------------------------------------
    {"slug": "ru-dostavka-sroki", "locale": "ru", "category": "Доставка",
     "title": "Сроки доставки",
     "body": "По Баку заказы доставляются за 1-2 рабочих дня.\n\n"
             "В регионы доставка занимает 3-5 рабочих дней."},
    {"slug": "ru-dostavka-stoimost", "locale": "ru", "category": "Доставка",
     "title": "Стоимость доставки",
     "body": "Доставка по Баку бесплатна для заказов от 50 манатов. Для меньших заказов курьер "
             "стоит 3 маната, в регионы 6 манатов."},
    {"slug": "ru-vozvrat", "locale": "ru", "category": "Возврат",
     "title": "Как вернуть товар",
     "body": "Неиспользованный товар в оригинальной упаковке можно вернуть в течение 14 дней.\n\n"
             "Оформите возврат в разделе «Мои заказы», кнопка «Вернуть»."},
    {"slug": "ru-vozvrat-deneg", "locale": "ru", "category": "Возврат",
     "title": "Возврат денег",
     "body": "Деньги за возвращённый товар поступают на карту в течение 5 рабочих дней.\n\n"
             "Наличные возвращаются в кассе магазина."},
    {"slug": "ru-oplata", "locale": "ru", "category": "Оплата",
     "title": "Способы оплаты",
     "body": "Оплатить онлайн можно картами Visa и Mastercard, через Apple Pay и Google Pay.\n\n"
             "Курьеру можно заплатить наличными или картой."},
    {"slug": "ru-rassrochka", "locale": "ru", "category": "Оплата",
     "title": "Рассрочка",
     "body": "С картами Birkart и Tamkart доступна рассрочка на 3, 6 и 12 месяцев без процентов "
             "для покупок от 100 манатов."},
    {"slug": "ru-garantiya", "locale": "ru", "category": "Товары",
     "title": "Гарантия на товары",
     "body": "На электронику действует официальная гарантия производителя 12 месяцев.\n\n"
             "Сохраняйте гарантийный талон и чек: сервисный центр их попросит."},
    {"slug": "ru-otslezhivanie", "locale": "ru", "category": "Заказы",
     "title": "Отслеживание заказа",
     "body": "После отправки заказа вы получите трек-номер по SMS. Введите его на странице "
             "«Отслеживание», чтобы узнать, где посылка."},
    {"slug": "ru-parol", "locale": "ru", "category": "Аккаунт",
     "title": "Забыл пароль",
     "body": "Нажмите «Забыли пароль?» на странице входа и укажите свою почту. Мы пришлём "
             "ссылку для нового пароля."},
    {"slug": "ru-magazin", "locale": "ru", "category": "Магазины",
     "title": "Адрес магазина и часы работы",
     "body": "Наш магазин находится по адресу: Баку, улица Низами, 10.\n\n"
             "Работаем ежедневно с 10:00 до 21:00, в воскресенье с 11:00 до 19:00."},
]

QUESTIONS: list[tuple[str, str | None]] = [
    # Azerbaijani, answerable
    ("Sifariş Bakıya neçə günə çatır?", "az-catdirilma-muddeti"),
    ("Gəncəyə çatdırılma neçə gün çəkir", "az-catdirilma-muddeti"),
    ("çatdırılma pulsuzdur?", "az-catdirilma-qiymeti"),
    ("Kuryer xidmətinin qiyməti nə qədərdir?", "az-catdirilma-qiymeti"),
    ("Aldığım malı qaytarmaq istəyirəm", "az-geri-qaytarma"),
    ("məhsulu geri qaytarmaq olar?", "az-geri-qaytarma"),
    ("Pulum nə vaxt kartıma qayıdacaq?", "az-pulun-qaytarilmasi"),
    ("Apple Pay ilə ödəmək olar?", "az-odenis-usullari"),
    ("taksitlə almaq mümkündür?", "az-taksit"),
    ("Telefonun zəmanəti neçə aydır?", "az-zemanet"),
    ("Bağlamamı necə izləyim?", "az-sifarisin-izlenmesi"),
    ("Sifarişimi ləğv edə bilərəm?", "az-sifarisi-legv-etmek"),
    ("Mağaza harada yerləşir, iş saatları?", "az-magaza-unvani"),
    ("ŞİFRƏMİ UNUTDUM", "az-hesab-sifre"),
    ("bonuslarla necə ödəyim", "az-bonus"),
    ("Bonus balansı necə yığılır?", "az-bonus"),
    # English, answerable
    ("How many days until my order arrives in Baku?", "en-shipping-times"),
    ("Do you ship internationally?", "en-shipping-times"),
    ("Is delivery free?", "en-shipping-cost"),
    ("what does the courier fee cost", "en-shipping-cost"),
    ("I want to return a jacket I bought", "en-returns"),
    ("How do I start a return?", "en-returns"),
    ("My refund hasn't arrived yet", "en-refunds"),
    ("Can I pay with Google Pay?", "en-payment-methods"),
    ("do you sell gift cards", "en-gift-cards"),
    ("how long is a gift card valid", "en-gift-cards"),
    ("Is there a warranty on laptops?", "en-warranty"),
    ("Where is my parcel? I have a tracking number", "en-order-tracking"),
    ("I need to change my delivery address", "en-change-address"),
    ("How can I delete my account?", "en-account-delete"),
    ("Stop sending me marketing emails", "en-newsletter"),
    ("how to unsubscribe from the newsletter", "en-newsletter"),
    # Russian, answerable
    ("Сколько дней идёт доставка по Баку?", "ru-dostavka-sroki"),
    ("как долго доставляют в регионы", "ru-dostavka-sroki"),
    ("Сколько стоит доставка?", "ru-dostavka-stoimost"),
    ("Хочу вернуть товар", "ru-vozvrat"),
    ("Когда вернут деньги на карту?", "ru-vozvrat-deneg"),
    ("Можно оплатить картой Visa?", "ru-oplata"),
    ("Есть ли рассрочка?", "ru-rassrochka"),
    ("Какая гарантия на ноутбук?", "ru-garantiya"),
    ("Где моя посылка, как отследить заказ?", "ru-otslezhivanie"),
    ("Я забыл пароль от аккаунта", "ru-parol"),
    ("ЧАСЫ РАБОТЫ МАГАЗИНА", "ru-magazin"),
    ("По какому адресу находится магазин?", "ru-magazin"),
    # No article answers these: they must be left to a human.
    ("Salam", None),
    ("Avtomobil satırsınız?", None),
    ("Bu gün hava necə olacaq?", None),
    ("İşə qəbul üçün vakansiyanız var?", None),
    ("Menecerinizlə danışmaq istəyirəm, şikayətim var", None),
    ("Hello there", None),
    ("Do you sell cars?", None),
    ("What's the weather like tomorrow?", None),
    ("Are you hiring software engineers?", None),
    ("Can you recommend a good restaurant nearby?", None),
    ("My screen is cracked and the battery drains fast", None),
    ("Who is the CEO of your company?", None),
    ("Привет", None),
    ("Продаёте ли вы автомобили?", None),
    ("Какая завтра погода?", None),
    ("Есть ли у вас вакансии программиста?", None),
    ("Посоветуйте хороший ресторан", None),
]
