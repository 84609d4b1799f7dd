package dev.graceful.core;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import reactor.util.context.ContextView;

/**
 * What happens to application data that arrives while a shutdown waits for the peer (T5). It is
 * never dropped silently: it is handed to a consumer, discarded because the caller said so, or the
 * shutdown is refused with {@link ShutdownException.Reason#UNREAD_DATA} and the data stays pending.
 */
public sealed interface Inbound {

  /**
   * Hand every chunk to {@code consumer}, on the loop thread, in order. The buffer is read-only and
   * valid only during the call: copy what you keep. The consumer must not block.
   *
   * @param consumer receives each chunk
   * @return the policy
   */
  static Inbound deliverTo(Consumer<? super ByteBuffer> consumer) {
    return new Deliver(consumer);
  }

  /**
   * As {@link #deliverTo(Consumer)}, with the {@code Context} of the subscriber that started the
   * shutdown: what it put there with {@code contextWrite} (a trace, a request id, a metrics tag)
   * reaches the consumer. Subscribers that join a running shutdown share its exchange and so the
   * first subscriber's context.
   *
   * @param consumer receives each chunk and the subscriber's context, on the loop thread
   * @return the policy
   */
  static Inbound deliverContextual(BiConsumer<? super ByteBuffer, ? super ContextView> consumer) {
    return new DeliverContextual(consumer);
  }

  /**
   * @return a policy that counts and drops data: the caller's explicit choice
   */
  static Inbound discard() {
    return Discard.INSTANCE;
  }

  /**
   * @return the default: refuse to complete while data is pending (OpenSSL's behaviour)
   */
  static Inbound refuse() {
    return Refuse.INSTANCE;
  }

  /**
   * Delivers to a consumer.
   *
   * @param consumer receives each chunk
   */
  record Deliver(Consumer<? super ByteBuffer> consumer) implements Inbound {
    /** Checks the consumer. */
    public Deliver {
      Objects.requireNonNull(consumer, "consumer");
    }
  }

  /**
   * Delivers to a consumer that also reads the subscriber's context. Protocol engines never see it:
   * when the shutdown is subscribed, it becomes a {@link Deliver} bound to that context.
   *
   * @param consumer receives each chunk and the subscriber's context
   */
  record DeliverContextual(BiConsumer<? super ByteBuffer, ? super ContextView> consumer)
      implements Inbound {
    /** Checks the consumer. */
    public DeliverContextual {
      Objects.requireNonNull(consumer, "consumer");
    }

    /**
     * @param context the subscriber's context
     * @return a {@link Deliver} handing {@code context} to the consumer with each chunk
     */
    public Deliver bind(ContextView context) {
      Objects.requireNonNull(context, "context");
      return new Deliver(chunk -> consumer.accept(chunk, context));
    }
  }

  /** Counts and drops. */
  enum Discard implements Inbound {
    /** The one instance. */
    INSTANCE
  }

  /** Refuses with UNREAD_DATA. */
  enum Refuse implements Inbound {
    /** The one instance. */
    INSTANCE
  }
}
