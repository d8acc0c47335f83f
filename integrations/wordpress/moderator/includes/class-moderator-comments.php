<?php
/**
 * Comments going to moderator, and decisions made in WordPress going back.
 *
 * - A new comment (comment form, REST API) is held in "hold until reviewed" mode
 *   (`pre_comment_approved`) and sent as a signed webhook (`wp_insert_comment`, or
 *   `rest_insert_comment` for the REST API, once the request has set everything).
 * - An edit sends the new text: moderator stores it as a new revision and scores it again.
 * - When moderator cannot take a comment (unreachable, 5xx, a wrong secret), the comment is held
 *   (in both modes: it is never published unchecked) and retried by WP-Cron with backoff until it
 *   is delivered; it is never dropped. Only a refusal of the body itself (400, 413, 415, 422) stops
 *   the retries: the comment then stays as it is, with the error in its meta, for a person.
 * - A status set by a person (wp-admin, REST) goes back as a platform decision, as Akismet's
 *   submit-spam and submit-ham do: approve, or reject with the reason `spam` or `trash`.
 *
 * @package Moderator
 * @license GPL-2.0-or-later
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Comment hooks and the WP-Cron retry.
 */
class Moderator_Comments {

	/** Unix time of the next try while the comment waits to be delivered. */
	const META_PENDING = '_moderator_pending';
	const META_ATTEMPTS = '_moderator_attempts';
	const META_ERROR = '_moderator_error';
	/** The revision moderator gave the comment's current text. */
	const META_REVISION = '_moderator_revision';
	/** The newest decision version applied or made here. */
	const META_VERSION = '_moderator_version';
	/** The revision the newest decision was about. */
	const META_DECIDED_REVISION = '_moderator_decided_revision';
	/** What moderator last said (`scored:review`, `decided:approved`, `platform:reject`). */
	const META_STATE = '_moderator_state';
	/** "Publish, then moderate": the comment was held only because it could not be sent. */
	const META_RESTORE = '_moderator_restore';
	/** A platform decision waiting to be reported: `approve|` or `reject|spam`. */
	const META_PLATFORM = '_moderator_platform';

	const CRON_HOOK = 'moderator_retry';
	const CRON_SCHEDULE = 'moderator_five_minutes';
	const BATCH = 50;

	/**
	 * Above zero while the plugin itself changes a comment (a callback, a hold for retry): such
	 * changes are not decisions made in WordPress and are never reported back.
	 *
	 * @var int
	 */
	private static $applying = 0;

	/**
	 * Hook in.
	 */
	public static function register() {
		add_filter( 'pre_comment_approved', array( __CLASS__, 'pre_approved' ), 99, 2 );
		add_action( 'wp_insert_comment', array( __CLASS__, 'inserted' ), 10, 2 );
		add_action( 'rest_insert_comment', array( __CLASS__, 'rest_inserted' ), 10, 3 );
		add_action( 'edit_comment', array( __CLASS__, 'edited' ), 10, 2 );
		add_action( 'transition_comment_status', array( __CLASS__, 'transitioned' ), 10, 3 );
		add_filter( 'cron_schedules', array( __CLASS__, 'schedules' ) );
		add_action( self::CRON_HOOK, array( __CLASS__, 'retry' ) );
		add_action( 'init', array( __CLASS__, 'ensure_schedule' ) );
	}

	/**
	 * Activation: the recurring retry.
	 */
	public static function activate() {
		self::ensure_schedule();
	}

	/**
	 * Deactivation: no retry runs while the plugin is off (pending comments stay held and are
	 * sent when it is activated again).
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::CRON_HOOK );
	}

	/**
	 * A five-minute WP-Cron schedule.
	 *
	 * @param array $schedules Schedules.
	 * @return array
	 */
	public static function schedules( $schedules ) {
		$schedules[ self::CRON_SCHEDULE ] = array(
			'interval' => 300,
			'display'  => 'Every five minutes (moderator retries)',
		);
		return $schedules;
	}

	/**
	 * The recurring retry exists (it is what guarantees a pending comment is sent eventually).
	 */
	public static function ensure_schedule() {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + 300, self::CRON_SCHEDULE, self::CRON_HOOK );
		}
	}

	/**
	 * Whether the plugin handles comments of this type (comments, not pingbacks or trackbacks).
	 *
	 * @param string $type Comment type.
	 * @return bool
	 */
	public static function handles( $type ) {
		/** Filters the comment types sent to moderator (default: ordinary comments). */
		$types = apply_filters( 'moderator_comment_types', array( '', 'comment' ) );
		return in_array( (string) $type, (array) $types, true );
	}

	/**
	 * "Hold until reviewed": a new comment WordPress would publish waits for moderator.
	 *
	 * @param int|string|WP_Error $approved    WordPress's verdict: 1, 0, 'spam', 'trash' or an error.
	 * @param array               $commentdata The new comment.
	 * @return int|string|WP_Error
	 */
	public static function pre_approved( $approved, $commentdata ) {
		if ( ! Moderator_Options::configured() || ! Moderator_Options::holds() ) {
			return $approved;
		}
		$type = isset( $commentdata['comment_type'] ) ? $commentdata['comment_type'] : '';
		if ( is_wp_error( $approved ) || ! self::handles( $type ) ) {
			return $approved;
		}
		return in_array( $approved, array( 1, '1' ), true ) ? 0 : $approved;
	}

	/**
	 * A new comment: sent now, unless the REST API made it (then `rest_inserted` sends it, once
	 * the request has set its status and fields).
	 *
	 * @param int        $id      Comment id.
	 * @param WP_Comment $comment The comment.
	 */
	public static function inserted( $id, $comment ) {
		if ( defined( 'REST_REQUEST' ) && REST_REQUEST ) {
			return;
		}
		self::send_new( $comment );
	}

	/**
	 * A comment created through the REST API (`$creating`); an update comes through `edited`.
	 *
	 * @param WP_Comment      $comment  The comment.
	 * @param WP_REST_Request $request  The request.
	 * @param bool            $creating Whether it was created.
	 */
	public static function rest_inserted( $comment, $request, $creating ) {
		if ( $creating ) {
			self::send_new( get_comment( $comment->comment_ID ) );
		}
	}

	/**
	 * Send a new comment unless it is not ours to send.
	 *
	 * @param WP_Comment|null $comment The comment.
	 */
	private static function send_new( $comment ) {
		if ( ! $comment || ! Moderator_Options::configured() || ! self::handles( $comment->comment_type ) ) {
			return;
		}
		if ( in_array( $comment->comment_approved, array( 'spam', 'trash' ), true ) ) {
			return; // Another filter (Akismet, a block list) already kept it off the site.
		}
		self::deliver( $comment );
	}

	/**
	 * An edited comment: its new text is sent (a new revision). In "hold until reviewed" mode an
	 * edit by someone who cannot moderate puts a published comment back on hold.
	 *
	 * @param int   $id   Comment id.
	 * @param array $data The update.
	 */
	public static function edited( $id, $data ) {
		$comment = get_comment( $id );
		if ( self::$applying || ! $comment || ! Moderator_Options::configured() || ! self::handles( $comment->comment_type ) ) {
			return;
		}
		if ( in_array( $comment->comment_approved, array( 'spam', 'trash' ), true ) ) {
			return;
		}
		if ( Moderator_Options::holds() && '1' === (string) $comment->comment_approved && ! current_user_can( 'moderate_comments' ) ) {
			self::set_status( $comment, 'hold' );
			$comment = get_comment( $id );
		}
		self::deliver( $comment );
	}

	/**
	 * Send a comment; on failure hold it and schedule the retry.
	 *
	 * @param WP_Comment $comment The comment.
	 * @return bool Whether moderator has it.
	 */
	public static function deliver( $comment ) {
		$result = Moderator_Client::send_comment( $comment );
		if ( $result['ok'] ) {
			self::delivered( $comment, $result );
			return true;
		}
		$id = (int) $comment->comment_ID;
		update_comment_meta( $id, self::META_ERROR, substr( (string) $result['error'], 0, 500 ) );
		if ( ! $result['retry'] ) {
			delete_comment_meta( $id, self::META_PENDING );
			error_log( sprintf( 'moderator: comment %d was refused and will not be sent again: %s', $id, $result['error'] ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
			return false;
		}
		$attempts = (int) get_comment_meta( $id, self::META_ATTEMPTS, true ) + 1;
		update_comment_meta( $id, self::META_ATTEMPTS, $attempts );
		$at = time() + self::delay_s( $attempts );
		update_comment_meta( $id, self::META_PENDING, $at );
		if ( '1' === (string) $comment->comment_approved ) {
			update_comment_meta( $id, self::META_RESTORE, '1' );
			self::set_status( $comment, 'hold' );
		}
		self::schedule_soon( $at );
		return false;
	}

	/**
	 * Seconds before try number `$attempts` + 1: 60 s doubling up to an hour.
	 *
	 * @param int $attempts Failed attempts so far.
	 * @return int
	 */
	public static function delay_s( $attempts ) {
		$delay = (int) min( 3600, 60 * pow( 2, min( $attempts - 1, 10 ) ) );
		/**
		 * Filters the wait before the next try to send a comment to moderator.
		 *
		 * @param int $delay    Seconds.
		 * @param int $attempts Failed attempts so far.
		 */
		return max( 0, (int) apply_filters( 'moderator_retry_delay', $delay, $attempts ) );
	}

	/**
	 * A one-off retry at `$at` (the recurring one runs every five minutes anyway).
	 *
	 * @param int $at Unix seconds.
	 */
	private static function schedule_soon( $at ) {
		$next = wp_next_scheduled( self::CRON_HOOK, array( 'soon' ) );
		if ( ! $next || $next > $at ) {
			if ( $next ) {
				wp_unschedule_event( $next, self::CRON_HOOK, array( 'soon' ) );
			}
			wp_schedule_single_event( $at, self::CRON_HOOK, array( 'soon' ) );
		}
	}

	/**
	 * Moderator has the comment: note its revision, publish it again if it was held only for the
	 * retry, and report a decision made here meanwhile.
	 *
	 * @param WP_Comment $comment The comment.
	 * @param array      $result  Moderator's answer.
	 */
	private static function delivered( $comment, $result ) {
		$id = (int) $comment->comment_ID;
		delete_comment_meta( $id, self::META_PENDING );
		delete_comment_meta( $id, self::META_ATTEMPTS );
		delete_comment_meta( $id, self::META_ERROR );
		if ( isset( $result['revision'] ) && is_int( $result['revision'] ) ) {
			$known = (int) get_comment_meta( $id, self::META_REVISION, true );
			update_comment_meta( $id, self::META_REVISION, max( $known, $result['revision'] ) );
		}
		if ( get_comment_meta( $id, self::META_RESTORE, true ) ) {
			delete_comment_meta( $id, self::META_RESTORE );
			if ( '0' === (string) get_comment( $id )->comment_approved ) {
				self::set_status( $comment, 'approve' );
			}
		}
		$platform = (string) get_comment_meta( $id, self::META_PLATFORM, true );
		if ( '' !== $platform ) {
			$parts = explode( '|', $platform, 2 );
			self::report( $id, $parts[0], isset( $parts[1] ) ? $parts[1] : '' );
		}
	}

	/**
	 * A status set by a person in WordPress goes back to moderator as a platform decision.
	 * Holding a comment again ("unapprove") has no platform decision in moderator: nothing is sent.
	 *
	 * @param string     $new_status New status (approved, unapproved, spam, trash, delete).
	 * @param string     $old_status Old status.
	 * @param WP_Comment $comment    The comment.
	 */
	public static function transitioned( $new_status, $old_status, $comment ) {
		if ( self::$applying || $new_status === $old_status || ! Moderator_Options::configured() ) {
			return;
		}
		if ( ! self::handles( $comment->comment_type ) || ! current_user_can( 'moderate_comments' ) ) {
			return;
		}
		$id = (int) $comment->comment_ID;
		delete_comment_meta( $id, self::META_RESTORE );
		$map = array(
			'approved' => array( 'approve', '' ),
			'spam'     => array( 'reject', 'spam' ),
			'trash'    => array( 'reject', 'trash' ),
			'delete'   => array( 'reject', 'deleted' ),
		);
		if ( ! isset( $map[ $new_status ] ) ) {
			return;
		}
		list( $decision, $reason ) = $map[ $new_status ];
		// A callback being applied right now read the comment before this status was written
		// and may write its own over it: wait for it, then put the person's status back.
		self::lock( $id );
		try {
			clean_comment_cache( $id ); // read what is stored now, not what this request cached
			wp_cache_delete( $id, 'comment_meta' );
			$statuses = array(
				'approved' => 'approve',
				'spam'     => 'spam',
				'trash'    => 'trash',
			);
			if ( isset( $statuses[ $new_status ] ) && wp_get_comment_status( $id ) !== $new_status ) {
				self::set_status( get_comment( $id ), $statuses[ $new_status ] );
			}
			if ( get_comment_meta( $id, self::META_PENDING, true ) ) {
				// Moderator does not have the comment yet: report once it does.
				update_comment_meta( $id, self::META_PLATFORM, $decision . '|' . $reason );
				return;
			}
			self::report( $id, $decision, $reason );
		} finally {
			self::unlock( $id );
		}
	}

	/**
	 * Take the comment's lock (a MySQL named lock, so it holds across PHP processes): a
	 * callback applies its event and a person's status change is reported one at a time.
	 * Gives up after 10 s (the change goes on unlocked rather than not at all).
	 *
	 * @param int $id Comment id.
	 */
	public static function lock( $id ) {
		global $wpdb;
		$wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 10)', 'moderator_comment_' . (int) $id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	}

	/**
	 * Release the comment's lock.
	 *
	 * @param int $id Comment id.
	 */
	public static function unlock( $id ) {
		global $wpdb;
		$wpdb->get_var( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', 'moderator_comment_' . (int) $id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	}

	/**
	 * Send a platform decision; kept for the retry when moderator cannot take it now.
	 *
	 * @param int    $id       Comment id.
	 * @param string $decision approve or reject.
	 * @param string $reason   Why.
	 */
	private static function report( $id, $decision, $reason ) {
		$result = Moderator_Client::platform_decision( $id, $decision, $reason );
		if ( $result['ok'] ) {
			delete_comment_meta( $id, self::META_PLATFORM );
			delete_comment_meta( $id, self::META_ERROR ); // Moderator had the comment: only a report can have failed.
			if ( isset( $result['version'] ) && is_int( $result['version'] ) ) {
				$known = (int) get_comment_meta( $id, self::META_VERSION, true );
				update_comment_meta( $id, self::META_VERSION, max( $known, $result['version'] ) );
				update_comment_meta( $id, self::META_DECIDED_REVISION, (int) get_comment_meta( $id, self::META_REVISION, true ) );
			}
			update_comment_meta( $id, self::META_STATE, 'platform:' . $decision );
			return;
		}
		if ( $result['retry'] && get_comment( $id ) ) { // A deleted comment has nowhere to keep it.
			update_comment_meta( $id, self::META_PLATFORM, $decision . '|' . $reason );
			update_comment_meta( $id, self::META_ERROR, substr( 'The decision is not reported yet: ' . $result['error'], 0, 500 ) );
			self::schedule_soon( time() + self::delay_s( 1 ) );
			return;
		}
		delete_comment_meta( $id, self::META_PLATFORM );
		error_log( sprintf( 'moderator: the decision on comment %d was refused: %s', $id, $result['error'] ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
	}

	/**
	 * WP-Cron: send the comments whose next try is due, then the decisions waiting to be
	 * reported. Stops early while moderator is unreachable; schedules the next due try.
	 */
	public static function retry() {
		if ( ! Moderator_Options::configured() ) {
			return;
		}
		$due = get_comments(
			array(
				'status'       => 'any',
				'type'         => 'all',
				'fields'       => 'ids',
				'number'       => self::BATCH,
				'orderby'      => 'comment_ID',
				'order'        => 'ASC',
				'meta_key'     => self::META_PENDING, // phpcs:ignore WordPress.DB.SlowDBQuery
				'meta_value'   => time(), // phpcs:ignore WordPress.DB.SlowDBQuery
				'meta_compare' => '<=',
				'meta_type'    => 'NUMERIC',
			)
		);
		foreach ( $due as $id ) {
			$comment = get_comment( $id );
			if ( $comment && ! self::deliver( $comment ) && get_comment_meta( $id, self::META_PENDING, true ) ) {
				break; // Still unreachable: the others wait for the next run.
			}
		}
		$decisions = get_comments(
			array(
				'status'   => 'any',
				'type'     => 'all',
				'fields'   => 'ids',
				'number'   => self::BATCH,
				'meta_key' => self::META_PLATFORM, // phpcs:ignore WordPress.DB.SlowDBQuery
			)
		);
		foreach ( $decisions as $id ) {
			if ( ! get_comment_meta( $id, self::META_PENDING, true ) ) {
				$parts = explode( '|', (string) get_comment_meta( $id, self::META_PLATFORM, true ), 2 );
				self::report( (int) $id, $parts[0], isset( $parts[1] ) ? $parts[1] : '' );
			}
		}
	}

	/**
	 * Set a comment's status on moderator's behalf (not reported back).
	 *
	 * @param WP_Comment $comment The comment.
	 * @param string     $status  approve, hold, spam or trash.
	 * @return bool Whether it changed.
	 */
	public static function set_status( $comment, $status ) {
		$id      = (int) $comment->comment_ID;
		$current = wp_get_comment_status( $id );
		$same    = array(
			'approve' => 'approved',
			'hold'    => 'unapproved',
			'spam'    => 'spam',
			'trash'   => 'trash',
		);
		if ( ! isset( $same[ $status ] ) || $same[ $status ] === $current ) {
			return false;
		}
		++self::$applying;
		try {
			if ( 'spam' === $status ) {
				return (bool) wp_spam_comment( $id );
			}
			if ( 'trash' === $status ) {
				return (bool) wp_trash_comment( $id );
			}
			if ( 'trash' === $current ) {
				wp_untrash_comment( $id );
			} elseif ( 'spam' === $current ) {
				wp_unspam_comment( $id );
			}
			return true === wp_set_comment_status( $id, $status );
		} finally {
			--self::$applying;
		}
	}
}
