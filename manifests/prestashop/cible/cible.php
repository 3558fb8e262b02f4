<?php
/**
 * Cible for PrestaShop 1.7, 8 and 9: the storefront script, signed customer identity, and
 * instant pushes of carts, orders and new accounts to your Cible server.
 *
 * Configure it with three values shown by Cible when you connected the shop: the Cible
 * URL, the shop public id and the signing secret.
 *
 * @author    Cible
 * @license   AGPL-3.0-or-later
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

require_once __DIR__ . '/classes/CibleSigner.php';
require_once __DIR__ . '/classes/CiblePusher.php';

class Cible extends Module
{
    const CONFIG_URL = 'CIBLE_URL';
    const CONFIG_PUBLIC_ID = 'CIBLE_SHOP_PUBLIC_ID';
    const CONFIG_SECRET = 'CIBLE_SIGNING_SECRET';

    /** @var bool the storefront assets are added once per page, whichever hook comes first */
    private $assetsAdded = false;

    public function __construct()
    {
        $this->name = 'cible';
        $this->tab = 'advertising_marketing';
        $this->version = '1.0.0';
        $this->author = 'Cible';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '1.7.0.0', 'max' => '9.99.99'];
        $this->bootstrap = true;

        parent::__construct();

        $this->displayName = $this->l('Cible');
        $this->description = $this->l('Segments and on-site campaigns: adds the Cible script, identifies logged-in customers securely and tells Cible about carts and orders at once.');
        $this->confirmUninstall = $this->l('Cible will stop showing campaigns on your shop. Uninstall?');
    }

    public function install()
    {
        return parent::install()
            && $this->registerHook('displayHeader')
            && $this->registerHook('actionFrontControllerSetMedia')
            && $this->registerHook('actionCartSave')
            && $this->registerHook('actionValidateOrder')
            && $this->registerHook('actionCustomerAccountAdd');
    }

    public function uninstall()
    {
        Configuration::deleteByName(self::CONFIG_URL);
        Configuration::deleteByName(self::CONFIG_PUBLIC_ID);
        Configuration::deleteByName(self::CONFIG_SECRET);

        return parent::uninstall();
    }

    /**
     * @return array{0: string, 1: string, 2: string}|null URL, public id, secret; null until set
     */
    private function settings()
    {
        $url = (string) Configuration::get(self::CONFIG_URL);
        $publicId = (string) Configuration::get(self::CONFIG_PUBLIC_ID);
        $secret = (string) Configuration::get(self::CONFIG_SECRET);
        if ($url === '' || $publicId === '' || $secret === '') {
            return null;
        }

        return [$url, $publicId, $secret];
    }

    // -- configuration page ---------------------------------------------------------------

    public function getContent()
    {
        $output = '';
        if (Tools::isSubmit('submitCibleSettings')) {
            $url = trim((string) Tools::getValue(self::CONFIG_URL));
            $publicId = trim((string) Tools::getValue(self::CONFIG_PUBLIC_ID));
            $secret = strtolower(trim((string) Tools::getValue(self::CONFIG_SECRET)));
            $errors = [];
            if (!CibleSigner::validUrl($url)) {
                $errors[] = $this->l('The Cible URL must be a full address, e.g. https://cible.example.com');
            }
            if (!CibleSigner::validPublicId($publicId)) {
                $errors[] = $this->l('The shop public id is the short code Cible showed (letters, digits, - and _).');
            }
            if (!CibleSigner::validSecret($secret)) {
                $errors[] = $this->l('The signing secret is 64 hexadecimal characters: copy it again from Cible.');
            }
            if ($errors) {
                foreach ($errors as $error) {
                    $output .= $this->displayError($error);
                }
            } else {
                Configuration::updateValue(self::CONFIG_URL, rtrim($url, '/'));
                Configuration::updateValue(self::CONFIG_PUBLIC_ID, $publicId);
                Configuration::updateValue(self::CONFIG_SECRET, $secret);
                $output .= $this->displayConfirmation($this->l('Settings saved.'));
            }
        }

        return $output . $this->renderForm();
    }

    private function renderForm()
    {
        $form = [
            'form' => [
                'legend' => ['title' => $this->l('Connection to Cible'), 'icon' => 'icon-cogs'],
                'description' => $this->l('Paste the three values Cible showed when you connected this shop.'),
                'input' => [
                    ['type' => 'text', 'label' => $this->l('Cible URL'), 'name' => self::CONFIG_URL, 'required' => true],
                    ['type' => 'text', 'label' => $this->l('Shop public id'), 'name' => self::CONFIG_PUBLIC_ID, 'required' => true],
                    ['type' => 'text', 'label' => $this->l('Signing secret'), 'name' => self::CONFIG_SECRET, 'required' => true],
                ],
                'submit' => ['title' => $this->l('Save')],
            ],
        ];
        $helper = new HelperForm();
        $helper->module = $this;
        $helper->name_controller = $this->name;
        $helper->table = $this->table;
        $helper->token = Tools::getAdminTokenLite('AdminModules');
        $helper->currentIndex = AdminController::$currentIndex . '&configure=' . $this->name;
        $helper->default_form_language = (int) Configuration::get('PS_LANG_DEFAULT');
        $helper->submit_action = 'submitCibleSettings';
        $helper->fields_value = [
            self::CONFIG_URL => Tools::getValue(self::CONFIG_URL, Configuration::get(self::CONFIG_URL)),
            self::CONFIG_PUBLIC_ID => Tools::getValue(self::CONFIG_PUBLIC_ID, Configuration::get(self::CONFIG_PUBLIC_ID)),
            self::CONFIG_SECRET => Tools::getValue(self::CONFIG_SECRET, Configuration::get(self::CONFIG_SECRET)),
        ];

        return $helper->generateForm([$form]);
    }

    // -- storefront -----------------------------------------------------------------------

    public function hookActionFrontControllerSetMedia($params)
    {
        $this->addStorefrontAssets();
    }

    /** Themes or controllers that skip actionFrontControllerSetMedia still get the script. */
    public function hookDisplayHeader($params)
    {
        $this->addStorefrontAssets();

        return '';
    }

    private function addStorefrontAssets()
    {
        $settings = $this->settings();
        if ($this->assetsAdded || $settings === null) {
            return;
        }
        $controller = $this->context->controller;
        if (!$controller || !method_exists($controller, 'registerJavascript')) {
            return;
        }
        list($url, $publicId, $secret) = $settings;
        $this->assetsAdded = true;
        $jsSettings = ['shop' => $publicId];
        $customer = $this->context->customer;
        if ($customer && $customer->isLogged() && (int) $customer->id > 0) {
            $jsSettings['identity'] = CibleSigner::identity($publicId, $secret, (string) $customer->id);
        }
        // Before the loader: window.cibleSettings = {"shop": ..., "identity": {...}}.
        Media::addJsDef(['cibleSettings' => $jsSettings]);
        $controller->registerJavascript(
            'cible-loader',
            CibleSigner::loaderUrl($url, $publicId),
            ['server' => 'remote', 'position' => 'head', 'attributes' => 'defer', 'priority' => 200]
        );
    }

    // -- pushes ---------------------------------------------------------------------------

    private function push($event, $objectName, array $object)
    {
        $settings = $this->settings();
        if ($settings === null) {
            return;
        }
        list($url, $publicId, $secret) = $settings;
        CiblePusher::send($url, $publicId, $secret, $event, $objectName, $object);
    }

    public function hookActionCartSave($params)
    {
        $cart = isset($params['cart']) ? $params['cart'] : $this->context->cart;
        if (!Validate::isLoadedObject($cart) || !(int) $cart->id_customer) {
            return;
        }
        $currency = new Currency((int) $cart->id_currency);
        $products = [];
        foreach ($cart->getProducts() as $product) {
            $products[] = [
                'id_product' => (string) $product['id_product'],
                'id_product_attribute' => (string) $product['id_product_attribute'],
                'quantity' => (string) $product['cart_quantity'],
                'price' => (string) $product['price_wt'],
                'name' => (string) $product['name'],
                'reference' => (string) $product['reference'],
                'category' => isset($product['category']) ? (string) $product['category'] : '',
            ];
        }
        $customer = new Customer((int) $cart->id_customer);
        $this->push('actionCartSave', 'cart', [
            'id' => (string) $cart->id,
            'id_customer' => (string) $cart->id_customer,
            'email' => Validate::isLoadedObject($customer) ? (string) $customer->email : '',
            'currency' => Validate::isLoadedObject($currency) ? (string) $currency->iso_code : '',
            'date_add' => (string) $cart->date_add,
            'date_upd' => (string) $cart->date_upd,
            'products' => $products,
        ]);
    }

    public function hookActionValidateOrder($params)
    {
        if (!isset($params['order']) || !Validate::isLoadedObject($params['order'])) {
            return;
        }
        $order = $params['order'];
        $this->push('actionValidateOrder', 'order', [
            'id' => (string) $order->id,
            'id_cart' => (string) $order->id_cart,
            'id_customer' => (string) $order->id_customer,
            'reference' => (string) $order->reference,
        ]);
    }

    public function hookActionCustomerAccountAdd($params)
    {
        if (!isset($params['newCustomer']) || !Validate::isLoadedObject($params['newCustomer'])) {
            return;
        }
        $customer = $params['newCustomer'];
        $this->push('actionCustomerAccountAdd', 'customer', [
            'id' => (string) $customer->id,
            'is_guest' => (string) (int) $customer->is_guest,
        ]);
    }
}
