<?php
/**
 * Settings > Moderator: moderator's URL, the webhook and callback secrets, the `platform` token,
 * the mode and the site name. Only users who can `manage_options` see or change it; the form goes
 * through options.php (its nonce and capability check). Secrets are never printed back: an empty
 * secret field keeps the stored one. The URL, secrets and token may instead be constants in
 * wp-config.php (MODERATOR_URL, MODERATOR_WEBHOOK_SECRET, MODERATOR_CALLBACK_SECRET,
 * MODERATOR_PLATFORM_TOKEN), which win over the stored values.
 *
 * @package Moderator
 * @license GPL-2.0-or-later
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The settings page.
 */
class Moderator_Settings {

	const PAGE = 'moderator';
	const GROUP = 'moderator';
	const SECRETS = array( 'webhook_secret', 'callback_secret', 'platform_token' );

	/**
	 * Hook in.
	 */
	public static function register() {
		add_action( 'admin_init', array( __CLASS__, 'settings' ) );
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_filter( 'manage_edit-comments_columns', array( __CLASS__, 'columns' ) );
		add_action( 'manage_comments_custom_column', array( __CLASS__, 'column' ), 10, 2 );
	}

	/**
	 * A "Moderator" column in Comments.
	 *
	 * @param array $columns Columns.
	 * @return array
	 */
	public static function columns( $columns ) {
		$columns['moderator'] = 'Moderator';
		return $columns;
	}

	/**
	 * What moderator said about the comment, or why it is waiting.
	 *
	 * @param string $column     Column.
	 * @param int    $comment_id Comment.
	 */
	public static function column( $column, $comment_id ) {
		if ( 'moderator' !== $column ) {
			return;
		}
		$pending = get_comment_meta( $comment_id, Moderator_Comments::META_PENDING, true );
		$error   = (string) get_comment_meta( $comment_id, Moderator_Comments::META_ERROR, true );
		$state   = (string) get_comment_meta( $comment_id, Moderator_Comments::META_STATE, true );
		if ( $pending ) {
			$text = 'Waiting to be sent (next try ' . wp_date( 'Y-m-d H:i:s', (int) $pending ) . '): ' . $error;
		} elseif ( get_comment_meta( $comment_id, Moderator_Comments::META_PLATFORM, true ) ) {
			$text = 'Your decision waits to be reported. ' . $error;
		} elseif ( '' !== $error ) {
			$text = 'Not sent: ' . $error;
		} else {
			$text = '' === $state ? '' : str_replace( ':', ': ', $state );
		}
		echo '<span class="moderator-state">' . esc_html( $text ) . '</span>';
	}

	/**
	 * The option and its sanitizer.
	 */
	public static function settings() {
		register_setting(
			self::GROUP,
			Moderator_Options::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize' ),
				'show_in_rest'      => false,
			)
		);
	}

	/**
	 * The menu entry.
	 */
	public static function menu() {
		add_options_page( 'Moderator', 'Moderator', 'manage_options', self::PAGE, array( __CLASS__, 'render' ) );
	}

	/**
	 * Clean submitted settings; an invalid value keeps the stored one, with a notice.
	 *
	 * @param mixed $input Submitted values.
	 * @return array<string, string>
	 */
	public static function sanitize( $input ) {
		$old   = Moderator_Options::all();
		$input = is_array( $input ) ? wp_unslash( $input ) : array();
		$clean = $old;
		if ( isset( $input['url'] ) ) {
			$url = esc_url_raw( trim( (string) $input['url'] ), array( 'http', 'https' ) );
			if ( '' === trim( (string) $input['url'] ) || '' !== $url ) {
				$clean['url'] = untrailingslashit( $url );
			} else {
				add_settings_error( Moderator_Options::OPTION, 'url', 'The moderator URL must start with http:// or https://.' );
			}
		}
		foreach ( self::SECRETS as $key ) {
			if ( isset( $input[ $key ] ) && '' !== trim( (string) $input[ $key ] ) ) {
				$clean[ $key ] = trim( (string) $input[ $key ] );
			}
		}
		if ( isset( $input['mode'] ) ) {
			$clean['mode'] = Moderator_Options::MODE_PUBLISH === $input['mode'] ? Moderator_Options::MODE_PUBLISH : Moderator_Options::MODE_HOLD;
		}
		if ( isset( $input['reject_to'] ) ) {
			$clean['reject_to'] = 'spam' === $input['reject_to'] ? 'spam' : 'trash';
		}
		if ( isset( $input['site'] ) ) {
			$site = trim( (string) $input['site'] );
			if ( preg_match( '/^[A-Za-z0-9._-]{1,64}$/D', $site ) ) {
				$clean['site'] = $site;
			} else {
				add_settings_error( Moderator_Options::OPTION, 'site', 'The site name may use 1 to 64 letters, digits, dots, dashes and underscores.' );
			}
		}
		return $clean;
	}

	/**
	 * Render the page.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage these settings.', 'moderator' ), 403 );
		}
		$o       = Moderator_Options::all();
		$name    = Moderator_Options::OPTION;
		$pending = get_comments(
			array(
				'status'   => 'any',
				'type'     => 'all',
				'count'    => true,
				'meta_key' => Moderator_Comments::META_PENDING, // phpcs:ignore WordPress.DB.SlowDBQuery
			)
		);
		?>
		<div class="wrap">
			<h1>Moderator</h1>
			<?php settings_errors( $name ); ?>
			<p>
				Give moderator this callback URL (<code>MODERATOR_CALLBACK_URL</code>):
				<code id="moderator-callback-url"><?php echo esc_html( Moderator_Callback::url() ); ?></code>
			</p>
			<p id="moderator-pending">
				<?php echo esc_html( sprintf( 'Comments waiting to be sent to moderator: %d.', (int) $pending ) ); ?>
			</p>
			<form method="post" action="options.php">
				<?php settings_fields( self::GROUP ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="moderator-url">Moderator URL</label></th>
						<td><input type="url" class="regular-text" id="moderator-url" name="<?php echo esc_attr( $name ); ?>[url]" value="<?php echo esc_attr( $o['url'] ); ?>" placeholder="https://moderator.example.org" <?php disabled( Moderator_Options::from_constant( 'url' ) ); ?> /></td>
					</tr>
					<?php
					self::secret_row( 'webhook_secret', 'Webhook secret', 'MODERATOR_WEBHOOK_SECRET: signs the comments sent to moderator.', $o );
					self::secret_row( 'callback_secret', 'Callback secret', 'MODERATOR_CALLBACK_SECRET: moderator signs its decisions with it.', $o );
					self::secret_row( 'platform_token', 'Platform token', 'From moderator tokens create --name wordpress --role platform: reports decisions made here.', $o );
					?>
					<tr>
						<th scope="row"><label for="moderator-site">Site name</label></th>
						<td><input type="text" class="regular-text" id="moderator-site" name="<?php echo esc_attr( $name ); ?>[site]" value="<?php echo esc_attr( $o['site'] ); ?>" />
						<p class="description">How moderator tells this blog's comments apart from other sites'.</p></td>
					</tr>
					<tr>
						<th scope="row">Mode</th>
						<td>
							<label><input type="radio" name="<?php echo esc_attr( $name ); ?>[mode]" value="hold" <?php checked( $o['mode'], Moderator_Options::MODE_HOLD ); ?> /> Hold until reviewed: a new comment is published only once moderator approves it.</label><br />
							<label><input type="radio" name="<?php echo esc_attr( $name ); ?>[mode]" value="publish" <?php checked( $o['mode'], Moderator_Options::MODE_PUBLISH ); ?> /> Publish, then moderate: comments appear as WordPress decides; moderator hides what it holds or rejects.</label>
						</td>
					</tr>
					<tr>
						<th scope="row">Rejected comments go to</th>
						<td>
							<label><input type="radio" name="<?php echo esc_attr( $name ); ?>[reject_to]" value="trash" <?php checked( $o['reject_to'], 'trash' ); ?> /> Trash</label><br />
							<label><input type="radio" name="<?php echo esc_attr( $name ); ?>[reject_to]" value="spam" <?php checked( $o['reject_to'], 'spam' ); ?> /> Spam</label>
						</td>
					</tr>
				</table>
				<?php submit_button(); ?>
			</form>
		</div>
		<?php
	}

	/**
	 * A secret's row: a password field, never prefilled.
	 *
	 * @param string $key   Setting.
	 * @param string $label Label.
	 * @param string $help  Description.
	 * @param array  $o     Settings.
	 */
	private static function secret_row( $key, $label, $help, $o ) {
		$id = 'moderator-' . str_replace( '_', '-', $key );
		if ( Moderator_Options::from_constant( $key ) ) {
			$help = 'Set in wp-config.php (' . Moderator_Options::CONSTANTS[ $key ] . ').';
		}
		?>
		<tr>
			<th scope="row"><label for="<?php echo esc_attr( $id ); ?>"><?php echo esc_html( $label ); ?></label></th>
			<td><input type="password" class="regular-text" autocomplete="new-password" id="<?php echo esc_attr( $id ); ?>" name="<?php echo esc_attr( Moderator_Options::OPTION . '[' . $key . ']' ); ?>" value="" placeholder="<?php echo esc_attr( '' === $o[ $key ] ? 'not set' : 'set (leave empty to keep)' ); ?>" <?php disabled( Moderator_Options::from_constant( $key ) ); ?> />
			<p class="description"><?php echo esc_html( $help ); ?></p></td>
		</tr>
		<?php
	}
}
